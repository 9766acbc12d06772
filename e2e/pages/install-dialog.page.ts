import type { Locator, Page } from 'playwright';
import { UI_TIMEOUT } from './wait.js';

export type ScopeLabel = 'Once' | 'This session' | 'Always';

/** The dialog a dropped or installed gallery card opens: requested capabilities, task, class. */
export class InstallDialogPage {
  constructor(
    readonly page: Page,
    readonly agentName: string,
  ) {}

  get dialog(): Locator {
    return this.page.getByRole('dialog', { name: `Install ${this.agentName}` });
  }

  async waitForOpen(): Promise<void> {
    await this.dialog.waitFor({ timeout: UI_TIMEOUT });
  }

  /** The capabilities it shows for approval, as their codes. */
  async requestedCapabilities(): Promise<string[]> {
    return this.dialog.getByRole('group', { name: 'Requested capabilities' }).getByRole('checkbox').evaluateAll((boxes) =>
      boxes.map((box) => box.closest('label')?.querySelector('code')?.textContent ?? ''),
    );
  }

  async setScope(capability: string, scope: ScopeLabel): Promise<void> {
    await this.dialog.getByLabel(`Scope of ${capability}`).selectOption({ label: scope });
  }

  async setTask(task: string): Promise<void> {
    await this.dialog.getByLabel('Task').fill(task);
  }

  async setPriorityClass(name: string): Promise<void> {
    await this.dialog.getByLabel('Priority class').selectOption(name);
  }

  /** Approves, starts, and waits for the dialog to close. */
  async start(): Promise<void> {
    await this.dialog.getByRole('button', { name: /^(Start|Start without these permissions|Grant \d+ permissions? and start)$/ }).click();
    await this.dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  }

  async cancel(): Promise<void> {
    await this.dialog.getByRole('button', { name: 'Cancel' }).click();
    await this.dialog.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  }
}
