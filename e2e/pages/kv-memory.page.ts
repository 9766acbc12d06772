import type { Locator, Page } from 'playwright';

/** The KV Memory view: slot map, swapped states, swap activity, handoffs, paged memory. */
export class KvMemoryPage {
  constructor(readonly page: Page) {}

  get slots(): Locator {
    return this.page.getByRole('list', { name: 'Model slots' }).getByRole('listitem');
  }

  get swapActivity(): Locator {
    return this.page.getByRole('table', { name: 'Swap activity' });
  }

  swapRows(direction: 'swapped out' | 'swapped in'): Locator {
    return this.swapActivity.getByRole('row').filter({ hasText: direction });
  }

  get swappedOut(): Locator {
    return this.page.getByRole('table', { name: 'Swapped out' });
  }

  get swappedRows(): Locator {
    return this.swappedOut.getByRole('row').filter({ has: this.page.getByRole('cell') });
  }

  get pagedMemory(): Locator {
    return this.page.getByRole('region', { name: 'Paged memory' });
  }

  /** Blocks the agent picked in the paged memory panel moved to long-term memory, newest first. */
  get pagedBlocks(): Locator {
    return this.pagedMemory.getByRole('list', { name: 'Paged-out blocks' }).getByRole('listitem');
  }

  /** Results of the kernel-side hybrid search over the agent's whole paged memory. */
  get searchResults(): Locator {
    return this.pagedMemory.getByRole('list', { name: 'Memory search results' }).getByRole('listitem');
  }

  async searchPaged(text: string): Promise<void> {
    await this.pagedMemory.getByLabel('Search paged memory').fill(text);
  }

  get handoffs(): Locator {
    return this.page.getByRole('region', { name: 'Handoffs' });
  }
}
