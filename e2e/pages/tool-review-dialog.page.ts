import type { Locator, Page } from 'playwright';
import { UI_TIMEOUT } from './wait.js';

/** The review of a staged tool package: signature, digest, what it can ask for; install or cancel. */
export class ToolReviewDialogPage {
  constructor(
    readonly page: Page,
    readonly toolName: string,
  ) {}

  get dialog(): Locator {
    return this.page.getByRole('dialog', { name: `Install the tool ${this.toolName}?` });
  }

  async waitForOpen(): Promise<void> {
    await this.dialog.waitFor({ timeout: UI_TIMEOUT });
  }

  /** The value beside a term of the facts list ("Signature", "Size", …). */
  fact(term: string): Locator {
    return this.dialog.locator('dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');
  }

  get sha256(): Locator {
    return this.dialog.getByLabel('Package sha256');
  }

  get installButton(): Locator {
    return this.dialog.getByRole('button', { name: 'Install', exact: true });
  }

  async allowUnsigned(): Promise<void> {
    await this.dialog.getByRole('checkbox', { name: 'Install this unsigned tool' }).check();
  }

  /** Installs and waits for the dialog to close. */
  async install(): Promise<void> {
    await this.installButton.click();
    await this.dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  }

  async cancel(): Promise<void> {
    await this.dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await this.dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  }
}
