import type { Locator, Page } from 'playwright';
import { dropFile } from './drop-file.js';
import { ToolReviewDialogPage } from './tool-review-dialog.page.js';
import { UI_TIMEOUT } from './wait.js';

export type AuditOutcome = 'All outcomes' | 'Denied' | 'Errors' | 'Allowed' | 'OK' | 'Revoked';

/** The Sandbox view: tools, standing grants and the live audit log. */
export class SandboxPage {
  constructor(readonly page: Page) {}

  get toolsSection(): Locator {
    return this.page.getByRole('region', { name: 'Tools' });
  }

  get tools(): Locator {
    return this.page.getByRole('table', { name: 'Tools' });
  }

  toolRow(name: string): Locator {
    return this.tools.getByRole('row').filter({ has: this.page.getByRole('rowheader', { name, exact: true }) });
  }

  /** Drops a tool package on the Tools section; the review dialog opens once the kernel has checked it. */
  async dropToolPackage(fileName: string, bytes: Buffer, toolName: string): Promise<ToolReviewDialogPage> {
    await dropFile(this.page, this.toolsSection, fileName, bytes);
    const review = new ToolReviewDialogPage(this.page, toolName);
    await review.waitForOpen();
    return review;
  }

  /** The file dialog: Playwright answers the chooser the "Install a tool…" button opens. */
  async pickToolPackage(path: string, toolName: string): Promise<ToolReviewDialogPage> {
    const chooser = this.page.waitForEvent('filechooser');
    await this.page.getByRole('button', { name: 'Install a tool…' }).click();
    await (await chooser).setFiles(path);
    const review = new ToolReviewDialogPage(this.page, toolName);
    await review.waitForOpen();
    return review;
  }

  /** Whether focus is on the Tools section or a control in it (where a closed review dialog gives it back). */
  async toolsHaveFocus(): Promise<boolean> {
    return this.toolsSection.evaluate((section) => {
      // Runs in the page; this folder is type-checked without the DOM library.
      const active = (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;
      return section === active || (section as { contains(node: unknown): boolean }).contains(active);
    });
  }

  async removeTool(name: string): Promise<void> {
    await this.tools.getByRole('button', { name: `Remove ${name}` }).click();
    await this.toolRow(name).getByRole('button', { name: 'Remove for good' }).click();
    await this.toolRow(name).waitFor({ state: 'detached', timeout: UI_TIMEOUT });
  }

  get grants(): Locator {
    return this.page.getByRole('table', { name: 'Grants' });
  }

  grantRows(capability: string): Locator {
    return this.grants.getByRole('row').filter({ hasText: capability });
  }

  async revoke(capability: string, agentName: string): Promise<void> {
    await this.grants.getByRole('button', { name: `Revoke ${capability} from ${agentName}` }).click();
  }

  /** Revokes a standing deny ("Deny for this session", "Never"): the agent is asked again next time. */
  async revokeDeny(capability: string, agentName: string): Promise<void> {
    await this.grants.getByRole('button', { name: `Revoke the deny of ${capability} for ${agentName}` }).click();
  }

  get audit(): Locator {
    return this.page.getByRole('table', { name: 'Audit log' });
  }

  /** Audit rows (newest first) whose text includes every one of `parts`. */
  auditRows(...parts: string[]): Locator {
    let rows = this.audit.getByRole('row').filter({ has: this.page.getByRole('cell') });
    for (const part of parts) rows = rows.filter({ hasText: part });
    return rows;
  }

  async filterAudit(text: string, outcome: AuditOutcome = 'All outcomes'): Promise<void> {
    await this.page.getByLabel('Filter the audit log').fill(text);
    await this.page.getByLabel('Outcome').selectOption({ label: outcome });
  }
}
