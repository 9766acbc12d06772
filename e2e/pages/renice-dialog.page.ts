import type { Locator, Page } from 'playwright';
import { UI_TIMEOUT } from './wait.js';

export class ReniceDialogPage {
  constructor(readonly page: Page) {}

  get dialog(): Locator {
    return this.page.getByRole('dialog', { name: /^Renice / });
  }

  async set(priorityClass: string, nice: number): Promise<void> {
    await this.dialog.waitFor({ timeout: UI_TIMEOUT });
    await this.dialog.getByLabel('Priority class').selectOption(priorityClass);
    await this.dialog.getByLabel(/^Nice/).fill(String(nice));
  }

  async apply(): Promise<void> {
    await this.dialog.getByRole('button', { name: 'Apply' }).click();
    await this.dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  }
}
