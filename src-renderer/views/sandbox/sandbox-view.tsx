import { AuditLog } from './audit-log.js';
import { GrantsTable } from './grants-table.js';
import { TokensPanel } from './tokens-panel.js';

/** Sandbox: the standing grants and MCP clients' tokens above the live audit log. */
export function SandboxView() {
  return (
    <div className="view-tiles sandbox-view">
      <GrantsTable />
      <TokensPanel />
      <AuditLog />
    </div>
  );
}
