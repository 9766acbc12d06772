import { randomBytes } from 'node:crypto';
import type { GrantDecision, GrantRequest, KernelEventBody, SandboxPolicy } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import type { NeededCapability } from './capability-check.js';

export interface AskContext {
  pid: number;
  agentId: string;
  agentName: string;
  tool: string;
  args: Record<string, unknown>;
  policy: SandboxPolicy;
  signal: AbortSignal;
}

interface Pending {
  request: GrantRequest;
  waiters: ((decision: GrantDecision, by: 'user' | 'timeout') => void)[];
  timer: NodeJS.Timeout;
}

const POLICY_ALLOWS: Record<SandboxPolicy, (need: NeededCapability) => boolean> = {
  strict: () => true,
  'compute-only': () => false,
  'network-only': (need) => need.parsed.kind === 'net',
  'file-processing': (need) => need.parsed.kind === 'fs',
};

/**
 * Asks the user. Grants come only from a person: a request waits for an approver (the UI or
 * `amk grants`), identical requests from one agent share one answer, and with no approver
 * attached, or when the time runs out, the answer is deny.
 */
/** Distinct questions one agent may have waiting for the user; past it, more are denied at once (a client flooding the UI). */
export const MAX_PENDING_PER_AGENT = 32;

export class GrantBroker {
  private readonly pending = new Map<string, Pending>();
  private approvers = 0;

  constructor(
    private readonly emit: (body: KernelEventBody) => void,
    private readonly timeoutMs: number,
  ) {}

  /** An approver (a UI window, `amk grants watch`) is attached; returns the detach. */
  attachApprover(): () => void {
    this.approvers++;
    let attached = true;
    return () => {
      if (attached) this.approvers--;
      attached = false;
    };
  }

  get hasApprover(): boolean {
    return this.approvers > 0;
  }

  list(): GrantRequest[] {
    return [...this.pending.values()].map((entry) => ({ ...entry.request }));
  }

  async ask(context: AskContext, need: NeededCapability): Promise<{ decision: GrantDecision; by: 'user' | 'timeout' | 'no-approver' | 'policy' | 'busy' }> {
    if (!POLICY_ALLOWS[context.policy](need)) return { decision: 'deny', by: 'policy' };
    if (!this.hasApprover) return { decision: 'deny', by: 'no-approver' };
    const same = [...this.pending.values()].find(
      (entry) => entry.request.agentId === context.agentId && entry.request.tool === context.tool && entry.request.capability === need.capability,
    );
    if (!same && [...this.pending.values()].filter((entry) => entry.request.agentId === context.agentId).length >= MAX_PENDING_PER_AGENT) {
      return { decision: 'deny', by: 'busy' };
    }
    const entry = same ?? this.open(context, need);
    if (same) {
      same.request.count++;
      this.emit({ type: 'grant.requested', request: { ...same.request } });
    }
    return new Promise((resolve, reject) => {
      entry.waiters.push((decision, by) => resolve({ decision, by }));
      context.signal.addEventListener('abort', () => reject(new KernelError('INVALID_STATE', 'the process stopped while waiting for a grant')), { once: true });
    });
  }

  private open(context: AskContext, need: NeededCapability): Pending {
    const now = Date.now();
    const request: GrantRequest = {
      id: `req-${randomBytes(4).toString('hex')}`,
      pid: context.pid,
      agentId: context.agentId,
      agentName: context.agentName,
      tool: context.tool,
      capability: need.capability,
      summary: need.summary,
      args: JSON.stringify(context.args).slice(0, 500),
      risk: context.tool === 'http_post' ? 'high' : need.risk,
      count: 1,
      requestedAt: now,
      expiresAt: now + this.timeoutMs,
    };
    const entry: Pending = {
      request,
      waiters: [],
      timer: setTimeout(() => this.settle(request.id, 'deny', 'timeout'), this.timeoutMs),
    };
    entry.timer.unref();
    this.pending.set(request.id, entry);
    this.emit({ type: 'grant.requested', request: { ...request } });
    return entry;
  }

  decide(requestId: string, decision: GrantDecision): GrantRequest {
    const entry = this.pending.get(requestId);
    if (!entry) throw new KernelError('INVALID_REQUEST', `no pending grant request ${requestId} (answered, or timed out)`);
    this.settle(requestId, decision, 'user');
    return entry.request;
  }

  private settle(requestId: string, decision: GrantDecision, by: 'user' | 'timeout'): void {
    const entry = this.pending.get(requestId);
    if (!entry) return;
    this.pending.delete(requestId);
    clearTimeout(entry.timer);
    this.emit({ type: 'grant.decided', requestId, decision, by });
    for (const waiter of entry.waiters) waiter(decision, by);
  }

  dispose(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, 'deny', 'timeout');
  }
}
