import { AuditLog } from './audit-log.js';
import { GrantsTable } from './grants-table.js';
import { McpServersPanel } from './mcp-servers-panel.js';
import { TokensPanel } from './tokens-panel.js';
import { ToolsPanel } from './tools-panel.js';

/** Sandbox: the tools (and installing new ones), the standing grants and MCP clients' tokens above the live audit log. */
export function SandboxView() {
  return (
    <div className="view-tiles sandbox-view">
      <ToolsPanel />
      <McpServersPanel />
      <GrantsTable />
      <TokensPanel />
      <AuditLog />
    </div>
  );
}
