import type { ToolManifest } from '../../../src-shared/index.js';
import type { AuditEntry, AuditLog } from '../core/audit-log.js';
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
  busy: 'too many of its requests already wait for the user: it was not asked (try again once those are answered)',
};

/**
 * Deny by default, for every provider (Wasm plugins, MCP servers): each capability the call's
 * arguments need must be covered by a grant, or the user is asked; each decision is audited.
 * Returns the capabilities the call may use; throws CAPABILITY_DENIED otherwise.
 */
export async function authorizeCall(services: SandboxServices, tool: ToolManifest, args: Record<string, unknown>, context: ToolCallContext): Promise<NeededCapability[]> {
  const needs = await neededCapabilities(tool.requires, args, context.agentId);
  return authorizeNeeds(services, { name: tool.name }, needs, args, context);
}

/**
 * The same decision for needs resolved elsewhere (an MCP client reading another process, writing
 * to another agent): a grant, or the user's answer, for each; every decision audited.
 */
export async function authorizeNeeds(
  services: SandboxServices,
  tool: { name: string },
  needs: NeededCapability[],
  args: Record<string, unknown>,
  context: ToolCallContext,
): Promise<NeededCapability[]> {
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
    // The data directory is never grantable: not by a grant, not by asking the user.
    const refused = services.grants.refusal(need.parsed);
    if (refused) {
      record('denied', refused);
      throw new KernelError('CAPABILITY_DENIED', `${tool.name} needs to ${need.summary} (${need.capability}), and ${refused}`, { capability: need.capability, by: 'policy' });
    }
    // A standing deny (session or always) refuses at once: the user said not to ask again.
    const standing = services.grants.denial(context.agentId, tool.name, need.parsed);
    if (standing) {
      const why = `refused by standing deny ${standing.id} (${standing.scope}); revoke it in the Sandbox view's grants to be asked again`;
      record('denied', why);
      throw new KernelError('CAPABILITY_DENIED', `${tool.name} needs to ${need.summary} (${need.capability}), and it was ${why}`, { capability: need.capability, by: 'standing-deny' });
    }
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
    if (answer.decision === 'deny-session' || answer.decision === 'deny-always') {
      // Identical asks share one answer: the first call records the standing deny, the others find it.
      const scope = answer.decision === 'deny-always' ? 'always' : 'session';
      const deny = services.grants.denial(context.agentId, tool.name, need.parsed) ?? services.grants.addDeny(context.agentId, tool.name, need.capability, scope);
      record('denied', `the user denied it (standing deny ${deny.id}, ${deny.scope})`);
      throw new KernelError('CAPABILITY_DENIED', `${tool.name} needs to ${need.summary} (${need.capability}), and the user denied it (${deny.scope === 'always' ? 'never' : 'for this session'})`, {
        capability: need.capability,
        by: answer.by,
      });
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

/** The longest text a tool call puts into one audit field or error message; longer is cut with a marker. */
const MAX_TEXT = 1000;
/** Distinct capability decisions one call records one by one; past this they are only counted. */
const MAX_DISTINCT_DECISIONS = 64;

/** Cuts a plugin-influenced string to `max` characters, saying how much was cut. */
export function clip(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters cut]`;
}

type Decision = Pick<AuditEntry, 'capability' | 'outcome' | 'reason' | 'name'>;

/** Records the capability decisions one tool call's host functions make; `flush` when the call ends. */
export interface CallAuditor {
  record(decision: Decision): void;
  flush(): void;
}

/**
 * A plugin decides how often its host calls are checked, so it must not decide how much is
 * audited: each distinct decision is recorded once when it first happens, repeats are counted and
 * recorded as one summary when the call ends, and past MAX_DISTINCT_DECISIONS only counts remain.
 */
export function callAuditor(services: SandboxServices, context: Pick<ToolCallContext, 'pid' | 'agentId'>, args: Record<string, unknown>): CallAuditor {
  const digest = digestArgs(args);
  const seen = new Map<string, { decision: Decision; count: number }>();
  const uncounted = { allowed: 0, denied: 0 };
  const write = (decision: Decision, reason: string): void => {
    services.audit.append({
      pid: context.pid,
      agentId: context.agentId,
      kind: 'capability',
      argsDigest: digest,
      resultBytes: null,
      durationMs: null,
      name: clip(decision.name, 200),
      capability: decision.capability === null ? null : clip(decision.capability),
      outcome: decision.outcome,
      reason: clip(reason),
    });
  };
  return {
    record(decision) {
      const key = JSON.stringify([decision.name, decision.capability, decision.outcome, decision.reason]);
      const known = seen.get(key);
      if (known) known.count++;
      else if (seen.size < MAX_DISTINCT_DECISIONS) {
        seen.set(key, { decision, count: 1 });
        write(decision, decision.reason);
      } else if (decision.outcome === 'denied') uncounted.denied++;
      else uncounted.allowed++;
    },
    flush() {
      for (const { decision, count } of seen.values()) {
        if (count > 1) write(decision, `${clip(decision.reason)} (repeated: ${count} times in this call)`);
      }
      for (const outcome of ['allowed', 'denied'] as const) {
        const count = uncounted[outcome];
        if (count > 0) write({ name: '*', capability: null, outcome, reason: '' }, `${count} more ${outcome} host calls in this call, past ${MAX_DISTINCT_DECISIONS} distinct decisions, not recorded one by one`);
      }
      seen.clear();
      uncounted.allowed = uncounted.denied = 0;
    },
  };
}
