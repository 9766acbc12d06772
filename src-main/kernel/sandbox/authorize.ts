import type { ToolManifest } from '../../../src-shared/index.js';
import type { AuditLog } from '../core/audit-log.js';
import { digestArgs } from '../core/audit-log.js';
import { KernelError } from '../core/kernel-error.js';
import type { ToolCallContext } from '../tools/index.js';
import { neededCapabilities, type NeededCapability } from './capability-check.js';
import type { GrantBroker } from './grant-broker.js';
import type { GrantStore } from './grant-store.js';

/** What a tool provider needs to authorize a call and audit it: the user's grants, the approval broker, the log. */
export interface SandboxServices {
  grants: GrantStore;
  broker: GrantBroker;
  audit: AuditLog;
}

const DENIED_BY: Record<string, string> = {
  user: 'the user denied it',
  timeout: 'nobody answered the request in time',
  'no-approver': 'no approver (UI or `amk grants watch`) is attached to ask; grant it ahead with `amk grants add`',
  policy: "the agent's sandbox policy does not allow it",
};

/**
 * Deny by default, for every provider (Wasm plugins, MCP servers): each capability the call's
 * arguments need must be covered by a grant, or the user is asked; each decision is audited.
 * Returns the capabilities the call may use; throws CAPABILITY_DENIED otherwise.
 */
export async function authorizeCall(services: SandboxServices, tool: ToolManifest, args: Record<string, unknown>, context: ToolCallContext): Promise<NeededCapability[]> {
  const needs = await neededCapabilities(tool.requires, args, context.agentId);
  const digest = digestArgs(args);
  for (const need of needs) {
    const record = (outcome: 'allowed' | 'denied', reason: string): void => {
      services.audit.append({
        pid: context.pid,
        agentId: context.agentId,
        kind: 'capability',
        name: tool.name,
        argsDigest: digest,
        capability: need.capability,
        outcome,
        reason,
        resultBytes: null,
        durationMs: null,
      });
    };
    const existing = services.grants.use(context.agentId, tool.name, need.parsed);
    if (existing) {
      record('allowed', `grant ${existing.id} (${existing.scope})`);
      continue;
    }
    context.onBlocked?.(`waiting for a grant: ${need.capability}`);
    let answer;
    try {
      answer = await services.broker.ask({ ...context, tool: tool.name, args }, need);
    } finally {
      context.onBlocked?.(null);
    }
    if (answer.decision === 'deny') {
      record('denied', DENIED_BY[answer.by]!);
      throw new KernelError('CAPABILITY_DENIED', `${tool.name} needs to ${need.summary} (${need.capability}), and ${DENIED_BY[answer.by]}`, {
        capability: need.capability,
        by: answer.by,
      });
    }
    // Identical asks share one answer: the first call records the grant, the others find it.
    const shared = answer.decision !== 'allow-once' ? services.grants.use(context.agentId, tool.name, need.parsed) : null;
    if (shared) {
      record('allowed', `the user allowed it (${shared.scope}, grant ${shared.id})`);
      continue;
    }
    const scope = answer.decision === 'allow-always' ? 'always' : answer.decision === 'allow-session' ? 'session' : 'once';
    const grant = services.grants.add(context.agentId, tool.name, need.capability, scope);
    services.grants.use(context.agentId, tool.name, need.parsed);
    record('allowed', `the user allowed it (${grant.scope}, grant ${grant.id})`);
  }
  return needs;
}

/** Starts the clock on one tool run; the returned function writes its `tool` audit record. */
export function auditToolRun(
  services: SandboxServices,
  context: Pick<ToolCallContext, 'pid' | 'agentId'>,
  name: string,
  args: Record<string, unknown>,
  granted: readonly NeededCapability[],
): (outcome: 'ok' | 'error' | 'timeout', reason: string, resultBytes: number | null) => void {
  const started = performance.now();
  const digest = digestArgs(args);
  return (outcome, reason, resultBytes) => {
    services.audit.append({
      pid: context.pid,
      agentId: context.agentId,
      kind: 'tool',
      name,
      argsDigest: digest,
      capability: granted.map((need) => need.capability).join(' ') || null,
      outcome,
      reason,
      resultBytes,
      durationMs: performance.now() - started,
    });
  };
}
