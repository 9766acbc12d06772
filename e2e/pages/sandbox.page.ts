import type { Locator, Page } from 'playwright';

export type AuditOutcome = 'All outcomes' | 'Denied' | 'Errors' | 'Allowed' | 'OK';

/** The Sandbox view: standing grants and the live audit log. */
export class SandboxPage {
  constructor(readonly page: Page) {}

  get grants(): Locator {
    return this.page.getByRole('table', { name: 'Grants' });
  }

  grantRows(capability: string): Locator {
    return this.grants.getByRole('row').filter({ hasText: capability });
  }

  async revoke(capability: string, agentName: string): Promise<void> {
    await this.grants.getByRole('button', { name: `Revoke ${capability} from ${agentName}` }).click();
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
