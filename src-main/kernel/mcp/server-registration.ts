import type { McpServerConfig } from '../../../src-shared/index.js';
import { digestArgs } from '../core/audit-log.js';
import { configChangeAuditEntry } from '../core/syscall-audit.js';
import { KernelError } from '../core/kernel-error.js';
import type { NeededCapability, SandboxServices } from '../sandbox/index.js';

/** The agent id registration requests and records carry: the person at the UI or the CLI. */
const REQUESTER = 'user';

/** What the server runs, in one line for the question and the audit log (environment and header values left out). */
export function describeServer(config: McpServerConfig): string {
  const { transport } = config;
  if (transport.kind === 'http') return `the MCP endpoint ${transport.url}`;
  const words = [transport.command, ...transport.args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word)));
  const env = Object.keys(transport.env);
  const allowed = [...(transport.network ? ['network'] : []), ...transport.folders];
  return `\`${words.join(' ')}\`${transport.cwd ? ` in ${transport.cwd}` : ''}${env.length > 0 ? ` with ${env.join(', ')} set` : ''}${allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`;
}

const DENIED_BY: Record<string, string> = {
  user: 'the user denied it',
  timeout: 'nobody answered the request in time',
  'no-approver': 'no approver (the UI or `amk grants watch`) is attached to ask: attach one, or approve it yourself with `amk mcp-servers add ... --yes`',
  policy: 'the policy does not allow it',
  busy: 'too many registrations already wait for the user',
};

/**
 * A server is a native command run with the user's rights, so registering one is asked like a
 * capability (`mcp-server:NAME`, through the grant broker the UI and `amk grants watch` answer),
 * unless the caller says the user approved it already. The question says whether bubblewrap
 * confines it (`confinement`, null for an HTTP endpoint). The decision is audited; no grant is
 * kept, so the next registration under that name is asked again.
 */
export async function approveRegistration(services: SandboxServices, config: McpServerConfig, approved: boolean, confinement: string | null): Promise<void> {
  const what = describeServer(config);
  const runs = confinement === null ? `talks to ${what}` : `runs ${what} outside the Wasm sandbox, with your rights (${confinement})`;
  const need: NeededCapability = {
    capability: `mcp-server:${config.name}`,
    parsed: { kind: 'mcp-server', name: config.name },
    summary:
      confinement === null
        ? `send tool calls to ${what}, as the MCP server ${config.name}`
        : `run ${what} as the MCP server ${config.name}: it runs outside the Wasm sandbox, with your rights (${confinement})`,
    risk: 'high',
  };
  const record = (outcome: 'allowed' | 'denied', reason: string): void => {
    services.audit.append({
      pid: null,
      agentId: REQUESTER,
      kind: 'capability',
      name: 'mcp.servers.add',
      argsDigest: digestArgs(config),
      capability: need.capability,
      outcome,
      reason: `${reason}: ${what}${confinement ? `; ${confinement}` : ''}`.slice(0, 500),
      resultBytes: null,
      durationMs: null,
    });
  };
  if (approved) return record('allowed', 'approved in the request (amk mcp-servers add --yes)');
  const answer = await services.broker.ask(
    {
      pid: 0,
      agentId: REQUESTER,
      agentName: `Register MCP server ${config.name}`,
      // Identical asks share one answer: two registrations under one name but with other commands must not.
      tool: `mcp.servers.add#${digestArgs(config).slice(0, 12)}`,
      args: { name: config.name, run: what, ...(confinement === null ? {} : { confinement }) },
      policy: 'strict',
      signal: new AbortController().signal,
    },
    need,
  );
  // A standing deny is not recorded for a registration: every deny answer refuses this one.
  if (answer.decision === 'deny' || answer.decision === 'deny-session' || answer.decision === 'deny-always') {
    record('denied', DENIED_BY[answer.by]!);
    throw new KernelError('CAPABILITY_DENIED', `registering the MCP server ${config.name} ${runs}, and ${DENIED_BY[answer.by]}`, {
      capability: need.capability,
      by: answer.by,
    });
  }
  record('allowed', 'the user allowed it');
}

/** The registration itself, and each removal, as a record of the audit log. */
export function auditRegistration(services: SandboxServices, action: 'mcp.servers.add' | 'mcp.servers.remove', name: string, outcome: 'ok' | 'error', reason: string): void {
  services.audit.append(configChangeAuditEntry(REQUESTER, action, name, outcome, reason));
}
