import { AuditLog } from './audit-log.js';
import { GrantsTable } from './grants-table.js';

/** Sandbox: the standing grants above the live audit log. */
export function SandboxView() {
  return (
    <div className="view-tiles sandbox-view">
      <GrantsTable />
      <AuditLog />
    </div>
  );
}
