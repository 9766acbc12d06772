import type { ParsedCapability } from '../../../src-shared/index.js';
import { parseCapability } from '../../../src-shared/index.js';

/** Plain words for a capability: what it lets an agent touch. */
export function describeCapability(capability: string): string {
  const parsed: ParsedCapability | string = parseCapability(capability);
  if (typeof parsed === 'string') return capability;
  switch (parsed.kind) {
    case 'net':
      return `connect to ${parsed.host}${parsed.port === null ? '' : ` on port ${parsed.port}`}`;
    case 'fs':
      return `${parsed.mode} files in ${parsed.path}`;
    case 'clock':
      return 'read the clock';
    case 'env':
      return `read the environment variable ${parsed.key}`;
    case 'mcp':
      return `call ${parsed.tool} on MCP server ${parsed.server}`;
    case 'memory':
      return `read the long-term memory of agent ${parsed.agent}`;
    case 'ipc':
      return `send messages to agent ${parsed.agent}`;
    case 'proc':
      return parsed.pid !== null ? `read the results of process ${parsed.pid}` : `read the results of agent ${parsed.agent ?? ''}'s processes`;
    case 'mcp-server':
      return `run the MCP server ${parsed.name} outside the sandbox, with your rights`;
    default:
      return capability;
  }
}

/** Capabilities safe to pre-tick when installing: reading the clock touches nothing of the user's. */
export function isLowRisk(capability: string): boolean {
  const parsed = parseCapability(capability);
  return typeof parsed !== 'string' && parsed.kind === 'clock';
}

/** The install dialog's start button says what it does: grant what is ticked, or nothing. */
export function startLabel(requested: number, ticked: number): string {
  if (requested === 0) return 'Start';
  if (ticked === 0) return 'Start without these permissions';
  return `Grant ${ticked} ${ticked === 1 ? 'permission' : 'permissions'} and start`;
}

export function CapabilityList({ capabilities }: { capabilities: readonly string[] }) {
  if (capabilities.length === 0) return <span className="muted">nothing</span>;
  return (
    <ul className="capability-list">
      {capabilities.map((capability) => (
        <li key={capability} title={describeCapability(capability)}>
          <code>{capability}</code>
        </li>
      ))}
    </ul>
  );
}
