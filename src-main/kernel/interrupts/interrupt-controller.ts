import { randomBytes } from 'node:crypto';
import type { InterruptBinding, InterruptStats, InterruptTrigger, KernelEventBody } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';
import { KernelError } from '../core/kernel-error.js';
import { armFolder, armTimer, type Fire, type WebhookListener } from './sources.js';

/** What the controller needs of the kernel: start a handler, learn when it ends, stop a process. */
export interface InterruptHost {
  /** Starts the handler agent at interrupt priority with the event as its task; returns its pid. */
  spawnHandler(agentId: string, task: string): number;
  onExit(pid: number, listener: () => void): void;
  abort(pid: number, reason: string): void;
  emit(body: KernelEventBody): void;
}

interface Armed {
  binding: InterruptBinding;
  source: Disposable | null;
  stats: InterruptStats;
  running: number | null;
  /** Details of interrupts waiting for the handler; the latest few are kept for its task. */
  queued: string[];
  dispatchTimes: number[];
  flushTimer: NodeJS.Timeout | null;
}

const KEPT_DETAILS = 20;

/**
 * Binds interrupt sources to handler agents. An interrupt starts its handler at realtime
 * priority (the scheduler preempts the lowest running agent at once when no slot is free). While
 * a handler runs, or past the binding's rate, further interrupts are coalesced into one follow-up
 * dispatch and counted: an interrupt storm is visible, never silently dropped.
 */
export class InterruptController implements Disposable {
  private readonly armed = new Map<string, Armed>();

  constructor(
    private readonly host: InterruptHost,
    private readonly webhook: WebhookListener,
  ) {}

  bind(agentId: string, trigger: InterruptTrigger, maxPerSecond = 5, restored?: InterruptBinding): InterruptBinding {
    const binding: InterruptBinding = restored ?? {
      id: `irq-${randomBytes(4).toString('hex')}`,
      agentId,
      trigger,
      maxPerSecond,
      createdAt: Date.now(),
    };
    const entry: Armed = {
      binding,
      source: null,
      stats: { bindingId: binding.id, raised: 0, dispatched: 0, coalesced: 0, pending: 0 },
      running: null,
      queued: [],
      dispatchTimes: [],
      flushTimer: null,
    };
    entry.source = this.arm(trigger, (detail) => this.raise(entry, trigger.source, detail));
    this.armed.set(binding.id, entry);
    if (!restored) this.host.emit({ type: 'interrupt.bound', binding });
    return binding;
  }

  unbind(bindingId: string): void {
    const entry = this.armed.get(bindingId);
    if (!entry) throw new KernelError('INVALID_REQUEST', `no interrupt binding ${bindingId}`);
    this.disarm(entry);
    this.armed.delete(bindingId);
    this.host.emit({ type: 'interrupt.unbound', bindingId });
  }

  list(): { binding: InterruptBinding; stats: InterruptStats }[] {
    return [...this.armed.values()].map((entry) => ({ binding: entry.binding, stats: { ...entry.stats } }));
  }

  /** A user message for the handlers bound to user input. */
  raiseUserInput(text: string): { dispatched: number[]; coalesced: number } {
    const result = { dispatched: [] as number[], coalesced: 0 };
    for (const entry of this.armed.values()) {
      if (entry.binding.trigger.source !== 'user-input') continue;
      const pid = this.raise(entry, 'user-input', `user says: ${text}`);
      if (pid === null) result.coalesced++;
      else result.dispatched.push(pid);
    }
    return result;
  }

  /** The abort interrupt: the process stops at its next token boundary. */
  abort(pid: number): void {
    this.host.abort(pid, 'aborted by interrupt');
    this.host.emit({
      type: 'interrupt.raised',
      bindingId: null,
      source: 'abort',
      detail: `abort process ${pid}`,
      outcome: 'delivered',
      pid,
      pending: 0,
      coalescedTotal: 0,
    });
  }

  private arm(trigger: InterruptTrigger, fire: Fire): Disposable | null {
    switch (trigger.source) {
      case 'timer':
        return armTimer(trigger, fire);
      case 'folder':
        return armFolder(trigger, fire);
      case 'webhook':
        return this.webhook.arm(trigger.route, fire);
      case 'user-input':
        return null;
    }
  }

  /** Returns the handler's pid when dispatched, null when coalesced. */
  private raise(entry: Armed, source: InterruptTrigger['source'], detail: string): number | null {
    entry.stats.raised++;
    const now = Date.now();
    entry.dispatchTimes = entry.dispatchTimes.filter((time) => now - time < 1000);
    const limited = entry.dispatchTimes.length >= entry.binding.maxPerSecond;
    if (entry.running !== null || limited) {
      entry.queued.push(detail);
      if (entry.queued.length > KEPT_DETAILS) entry.queued.shift();
      entry.stats.pending++;
      entry.stats.coalesced++;
      if (limited && entry.running === null) this.flushLater(entry, 1000 - (now - entry.dispatchTimes[0]!));
      this.emitRaised(entry, source, detail, 'coalesced', null);
      return null;
    }
    return this.dispatch(entry, source, detail);
  }

  private dispatch(entry: Armed, source: InterruptTrigger['source'], task: string): number {
    const pid = this.host.spawnHandler(entry.binding.agentId, task);
    entry.running = pid;
    entry.stats.dispatched++;
    entry.dispatchTimes.push(Date.now());
    this.emitRaised(entry, source, task, 'dispatched', pid);
    this.host.onExit(pid, () => {
      entry.running = null;
      if (entry.stats.pending > 0 && this.armed.has(entry.binding.id)) this.flushLater(entry, 0);
    });
    return pid;
  }

  /** One follow-up dispatch carries every interrupt that was coalesced meanwhile. */
  private flushLater(entry: Armed, delayMs: number): void {
    if (entry.flushTimer) return;
    entry.flushTimer = setTimeout(() => {
      entry.flushTimer = null;
      if (entry.running !== null || entry.stats.pending === 0 || !this.armed.has(entry.binding.id)) return;
      const count = entry.stats.pending;
      const details = entry.queued.splice(0);
      entry.stats.pending = 0;
      const omitted = count - details.length;
      const task = [
        `${count} interrupts arrived while the handler was busy or rate-limited${omitted > 0 ? ` (the ${omitted} oldest are not listed)` : ''}:`,
        ...details.map((detail) => `- ${detail}`),
      ].join('\n');
      this.dispatch(entry, entry.binding.trigger.source, task);
    }, Math.max(0, delayMs));
    entry.flushTimer.unref();
  }

  private emitRaised(entry: Armed, source: InterruptTrigger['source'], detail: string, outcome: 'dispatched' | 'coalesced', pid: number | null): void {
    this.host.emit({
      type: 'interrupt.raised',
      bindingId: entry.binding.id,
      source,
      detail: detail.slice(0, 500),
      outcome,
      pid,
      pending: entry.stats.pending,
      coalescedTotal: entry.stats.coalesced,
    });
  }

  private disarm(entry: Armed): void {
    void entry.source?.dispose();
    if (entry.flushTimer) clearTimeout(entry.flushTimer);
  }

  dispose(): void {
    for (const entry of this.armed.values()) this.disarm(entry);
    this.armed.clear();
  }
}
