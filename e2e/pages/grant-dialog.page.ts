import type { Locator, Page } from 'playwright';
import { UI_TIMEOUT } from './wait.js';

export type GrantAnswer = 'Allow once' | 'Allow for this session' | 'Allow always' | 'Deny' | 'Deny for this session' | 'Never';

/** The modal an agent's capability request raises, wherever the user is. */
export class GrantDialogPage {
  constructor(readonly page: Page) {}

  get dialog(): Locator {
    return this.page.getByRole('alertdialog', { name: /asks for access$/ });
  }

  async waitForRequest(timeout = UI_TIMEOUT): Promise<void> {
    await this.dialog.waitFor({ timeout });
  }

  /** The value the dialog shows for one fact ("Host", "Port", "Tool", "Risk", "Asked"), as text (not as styled). */
  async fact(term: string): Promise<string> {
    const value = this.dialog.getByRole('term').filter({ hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');
    return ((await value.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  async args(): Promise<string> {
    return this.dialog.getByLabel('Arguments of the call').innerText();
  }

  async countdown(): Promise<string> {
    return this.dialog.getByRole('timer').innerText();
  }

  async answer(answer: GrantAnswer): Promise<void> {
    await this.dialog.getByRole('button', { name: answer, exact: true }).click();
    await this.dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  }

  /** Closing the dialog is a deny. */
  async close(): Promise<void> {
    await this.dialog.getByRole('button', { name: 'Close and deny' }).click();
    await this.dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  }
}
