import type { KernelEventBody, Priority } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import type { LlmSlot } from '../llm/index.js';
import type { KvSwapper, SwappedState } from './kv-swap.js';
import { ClassUsage, niceWeight, type Runnable, type SchedulingPolicy } from './scheduling-policy.js';
import { governed, WorkingSet, type WorkingSetStats } from './working-set.js';

export interface SlotRequest {
  pid: number;
  priority: Priority;
  signal: AbortSignal;
}

export type SliceEnd = 'step-end' | 'quantum' | 'preempted' | 'suspended' | 'killed';

/** `core`: where a swapped state can be swapped back in (a llama-server core keeps it on the server). */
type KvPlace = { kind: 'none' } | { kind: 'resident'; slot: number } | { kind: 'swapped'; state: SwappedState; core: string };

/** The kernel's own model, as a core (see kernel/cores). */
export const LOCAL_CORE = 'local';

interface Entry extends Runnable {
  priority: Priority;
  vruntime: number;
  lastRanAt: number;
  arrival: number;
  kv: KvPlace;
  waiter: { grant: (lease: Lease) => void; fail: (error: unknown) => void } | null;
  lease: Lease | null;
  stats: SchedulingStats;
}

export interface SchedulingStats {
  preemptions: number;
  swapsOut: number;
  swapsIn: number;
}

interface SlotState {
  slot: LlmSlot;
  lease: Lease | null;
  /** Whose KV state the slot holds; it stays after the lease ends, until another process needs the slot. */
  resident: number | null;
  /** Being handed over (swaps in flight). */
  reserved: boolean;
  /** The core the slot belongs to. */
  core: string;
}

/** A process's hold on one slot, for one slice. */
export class Lease {
  tokens = 0;
  preemptedBy: number | null = null;
  readonly startedAt = performance.now();
  private ended = false;

  constructor(
    private readonly scheduler: SlotScheduler,
    readonly pid: number,
    readonly slot: LlmSlot,
    readonly core: string = LOCAL_CORE,
  ) {}

  /** Accounts decoded (or prefilled) tokens to the process's share. */
  charge(tokens: number): void {
    this.tokens += tokens;
    this.scheduler.charge(this.pid, tokens);
  }

  /** Checked at every token boundary: true when the process should let go of the slot now. */
  shouldYield(): boolean {
    return this.scheduler.shouldYield(this);
  }

  release(endedBy: SliceEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.scheduler.release(this, endedBy);
  }
}

/**
 * The mechanism that time-shares the model: it hands sequence slots to processes in the order
 * the policy decides, preempts at token boundaries, and keeps each process's KV state either
 * resident in a slot or swapped out, moving it back before the process runs again.
 */
export class SlotScheduler {
  private readonly entries = new Map<number, Entry>();
  private readonly slots: SlotState[];
  private readonly usage = new ClassUsage();
  private arrivals = 0;
  /** Batch processes past the working set wait in line outside `waiting()` (see working-set.ts). */
  private readonly workingSet: WorkingSet;

  constructor(
    slots: readonly LlmSlot[],
    private readonly policy: SchedulingPolicy,
    private readonly swapper: KvSwapper,
    private readonly emit: (body: KernelEventBody) => void,
    workingSetLimit = Number.POSITIVE_INFINITY,
  ) {
    this.slots = slots.map((slot) => ({ slot, lease: null, resident: null, reserved: false, core: LOCAL_CORE }));
    this.workingSet = new WorkingSet(workingSetLimit, { onAdmit: (pids) => this.admitted(pids) });
  }

  get workingSetStats(): WorkingSetStats {
    return this.workingSet.stats();
  }

  get policyName(): string {
    return this.policy.name;
  }

  acquire(request: SlotRequest): Promise<Lease> {
    if (request.signal.aborted) return Promise.reject(new KernelError('INVALID_STATE', 'process stopped before it got a slot'));
    const entry = this.entry(request.pid, request.priority);
    if (entry.waiter || entry.lease) return Promise.reject(new KernelError('INVALID_STATE', `process ${request.pid} already waits for or holds a slot`));
    entry.priority = request.priority;
    entry.arrival = ++this.arrivals;
    this.workingSet.request(entry.pid, entry.priority);
    // CFS placement: a process coming back from a wait does not bank credit against its class.
    entry.vruntime = Math.max(entry.vruntime, this.minVruntime(entry));
    return new Promise<Lease>((resolve, reject) => {
      const onAbort = (): void => {
        if (entry.waiter !== waiter) return;
        entry.waiter = null;
        reject(new KernelError('INVALID_STATE', 'process stopped while waiting for a slot'));
      };
      const settle = (): void => request.signal.removeEventListener('abort', onAbort);
      const waiter = {
        grant: (lease: Lease) => (settle(), resolve(lease)),
        fail: (error: unknown) => (settle(), reject(error)),
      };
      entry.waiter = waiter;
      request.signal.addEventListener('abort', onAbort, { once: true });
      this.dispatch();
    });
  }

  charge(pid: number, tokens: number): void {
    const entry = this.entries.get(pid);
    if (!entry) return;
    entry.vruntime += (tokens * 1024) / niceWeight(entry.priority.nice);
    this.usage.charge(entry.priority.class, tokens);
  }

  shouldYield(lease: Lease): boolean {
    if (lease.preemptedBy !== null) return true;
    const entry = this.entries.get(lease.pid);
    if (!entry || lease.tokens < this.policy.quantumTokens(entry.priority)) return false;
    const waiting = this.waiting();
    if (waiting.length === 0 || this.freeSlots().length > 0) return false;
    return this.policy.pickNext([...waiting, entry], this.usage).pid !== lease.pid;
  }

  release(lease: Lease, endedBy: SliceEnd): void {
    const state = this.slots.find((s) => s.lease === lease);
    const entry = this.entries.get(lease.pid);
    if (state) state.lease = null;
    if (entry) {
      entry.lease = null;
      entry.lastRanAt = Date.now();
      this.workingSet.rest(entry.pid);
      if (endedBy === 'preempted') entry.stats.preemptions++;
    }
    this.emit({
      type: 'sched.slice',
      pid: lease.pid,
      slot: lease.slot.index,
      tokens: lease.tokens,
      durationMs: performance.now() - lease.startedAt,
      endedBy,
    });
    this.dispatch();
  }

  /** Renice takes effect at the next token boundary: a waiter may now outrank a running process. */
  reprioritize(pid: number, priority: Priority): void {
    const entry = this.entries.get(pid);
    if (!entry) return;
    entry.priority = priority;
    // Into the batch classes: it needs a seat like any other; out of them: its seat goes to the next.
    if (!governed(priority)) this.workingSet.leave(pid);
    else if (entry.waiter || entry.lease) this.workingSet.request(pid, priority);
    this.dispatch();
  }

  /**
   * Gives a process a KV state to start from (a snapshot after a restart, a handoff from another
   * agent): it is swapped in when the process first gets a slot.
   */
  async adopt(pid: number, priority: Priority, source: string, bytes: number): Promise<void> {
    const entry = this.entry(pid, priority);
    if (entry.kv.kind === 'swapped') await this.swapper.discard(entry.kv.state);
    for (const state of this.slots) if (state.resident === pid && !state.lease) state.resident = null;
    entry.kv = { kind: 'swapped', state: await this.swapper.adopt(pid, source, bytes), core: LOCAL_CORE };
  }

  /**
   * Runs `work` with exclusive use of the slot holding the process's KV state, when that state is
   * resident and the process is not decoding (a snapshot of an idle process). Null when the state
   * is not resident.
   */
  async withResidentSlot<T>(pid: number, work: (slot: LlmSlot) => Promise<T>): Promise<T | null> {
    const state = this.slots.find((candidate) => candidate.resident === pid && !candidate.lease && !candidate.reserved);
    if (!state) return null;
    state.reserved = true;
    try {
      return await work(state.slot);
    } finally {
      state.reserved = false;
      this.dispatch();
    }
  }

  /** Slots of every core in the pool now. */
  get slotCount(): number {
    return this.slots.length;
  }

  /** A core's slots join the pool (a remote core came up and serves the loaded model). */
  addCore(core: string, slots: readonly LlmSlot[]): void {
    this.removeCore(core);
    for (const slot of slots) this.slots.push({ slot, lease: null, resident: null, reserved: false, core });
    this.dispatch();
  }

  /**
   * A core's slots leave the pool (it went down or was removed). KV state resident or swapped
   * there is gone: those processes re-prefill on another core from their journaled steps. A lease
   * still running there ends when its generation fails.
   */
  removeCore(core: string): void {
    const leaving = this.slots.filter((state) => state.core === core);
    if (leaving.length === 0) return;
    for (const state of leaving) this.slots.splice(this.slots.indexOf(state), 1);
    for (const entry of this.entries.values()) {
      if (entry.kv.kind === 'resident' && leaving.some((state) => state.slot.index === (entry.kv as { slot: number }).slot)) entry.kv = { kind: 'none' };
      if (entry.kv.kind === 'swapped' && entry.kv.core === core) {
        void this.swapper.discard(entry.kv.state);
        entry.kv = { kind: 'none' };
      }
    }
    this.dispatch();
  }

  /** Slots of a core that are decoding now, and processes waiting whose KV state is there. */
  coreLoad(core: string): { busy: number; queued: number } {
    const busy = this.slots.filter((state) => state.core === core && state.lease !== null).length;
    let queued = 0;
    for (const entry of this.entries.values()) {
      if (!entry.waiter) continue;
      const place = entry.kv.kind === 'swapped' ? entry.kv.core : entry.kv.kind === 'resident' ? this.slots.find((state) => state.slot.index === (entry.kv as { slot: number }).slot)?.core : LOCAL_CORE;
      if (place === core) queued++;
    }
    return { busy, queued };
  }

  /** Processes whose KV state sits in a slot nobody uses now (for idle-swap.ts). */
  idleResidents(): number[] {
    return this.slots.filter((s) => s.resident !== null && !s.lease && !s.reserved && this.entries.has(s.resident)).map((s) => s.resident!);
  }

  /** Slots that hold no live process's KV state and are not in use. */
  emptySlots(): number {
    return this.slots.filter((s) => !s.lease && !s.reserved && (s.resident === null || !this.entries.has(s.resident))).length;
  }

  /** Swaps a process's KV state out of its idle slot ahead of need (idle-swap.ts); false when it is not resident in one. */
  async swapOutIdle(pid: number): Promise<boolean> {
    const entry = this.entries.get(pid);
    const state = this.slots.find((s) => s.resident === pid && !s.lease && !s.reserved);
    if (!entry || !state || entry.kv.kind !== 'resident' || entry.waiter) return false;
    state.reserved = true;
    try {
      await this.swapOut(entry, state);
      return true;
    } finally {
      state.reserved = false;
      this.dispatch();
    }
  }

  stats(pid: number): SchedulingStats {
    return { ...(this.entries.get(pid)?.stats ?? { preemptions: 0, swapsOut: 0, swapsIn: 0 }) };
  }

  /** A process exited: its slot residency and swap file go. */
  async forget(pid: number): Promise<void> {
    const entry = this.entries.get(pid);
    if (!entry) return;
    this.entries.delete(pid);
    this.workingSet.leave(pid);
    entry.waiter?.fail(new KernelError('INVALID_STATE', 'process exited'));
    for (const state of this.slots) if (state.resident === pid && !state.lease) state.resident = null;
    if (entry.kv.kind === 'swapped') await this.swapper.discard(entry.kv.state);
    this.dispatch();
  }

  /** Swaps a process's resident KV state out of its idle slot (a snapshot path shares this). */
  async dispose(): Promise<void> {
    this.workingSet.dispose();
    for (const entry of this.entries.values()) if (entry.kv.kind === 'swapped') await this.swapper.discard(entry.kv.state);
    this.entries.clear();
    await this.swapper.dispose();
  }

  private entry(pid: number, priority: Priority): Entry {
    let entry = this.entries.get(pid);
    if (!entry) {
      entry = {
        pid,
        priority,
        vruntime: 0,
        lastRanAt: 0,
        arrival: 0,
        kv: { kind: 'none' },
        waiter: null,
        lease: null,
        stats: { preemptions: 0, swapsOut: 0, swapsIn: 0 },
      };
      entry.vruntime = this.minVruntime(entry);
      this.entries.set(pid, entry);
    }
    return entry;
  }

  private minVruntime(self: Entry): number {
    let min = Number.POSITIVE_INFINITY;
    for (const entry of this.entries.values()) {
      if (entry === self || entry.priority.class !== self.priority.class || (!entry.waiter && !entry.lease) || !this.workingSet.mayRun(entry.pid, entry.priority)) continue;
      min = Math.min(min, entry.vruntime);
    }
    return Number.isFinite(min) ? min : self.vruntime;
  }

  private waiting(): Entry[] {
    return [...this.entries.values()].filter((entry) => entry.waiter !== null && this.workingSet.mayRun(entry.pid, entry.priority));
  }

  /** Admitted from the line: placed at its class's least vruntime (as CFS places a waking task), then dispatched. */
  private admitted(pids: readonly number[]): void {
    for (const pid of pids) {
      const entry = this.entries.get(pid);
      if (entry) entry.vruntime = Math.max(entry.vruntime, this.minVruntime(entry));
    }
    queueMicrotask(() => this.dispatch());
  }

  private freeSlots(): SlotState[] {
    return this.slots.filter((state) => !state.lease && !state.reserved);
  }

  private dispatch(): void {
    for (;;) {
      const waiting = this.waiting();
      if (waiting.length === 0) return;
      const free = this.freeSlots();
      const next = this.policy.pickNext(waiting, this.usage);
      if (free.length === 0) {
        this.preemptFor(next);
        return;
      }
      const state = this.placeFor(next, free);
      const waiter = next.waiter!;
      next.waiter = null;
      state.reserved = true;
      void this.handOver(next, state, waiter);
    }
  }

  /** The process's own slot if its KV is there, else an empty one, else evict the least deserving resident. */
  private placeFor(entry: Entry, free: SlotState[]): SlotState {
    const own = free.find((state) => state.resident === entry.pid);
    if (own) return own;
    // A swapped state comes back without re-prefill only on the core that holds it.
    const kv = entry.kv;
    const home = kv.kind === 'swapped' ? free.filter((state) => state.core === kv.core) : free;
    if (home.length > 0 && home.length < free.length) return this.placeFor(entry, home);
    const empties = free.filter((state) => state.resident === null || !this.entries.has(state.resident));
    // Across cores, the least busy one: two machines share the load instead of one filling first.
    const busy = (core: string): number => this.slots.filter((state) => state.core === core && (state.lease !== null || state.reserved)).length;
    const empty = empties.reduce<SlotState | undefined>((best, state) => (best === undefined || busy(state.core) < busy(best.core) ? state : best), undefined);
    if (empty) return empty;
    const residents = free.map((state) => this.entries.get(state.resident!)!);
    const victim = this.policy.pickVictim(residents);
    return free.find((state) => state.resident === victim.pid)!;
  }

  private preemptFor(waiter: Entry): void {
    const running = this.slots
      .map((state) => state.lease)
      .filter((lease): lease is Lease => lease !== null && lease.preemptedBy === null)
      .map((lease) => this.entries.get(lease.pid)!)
      .filter((entry) => this.policy.mayPreempt(waiter, entry));
    if (running.length === 0) return;
    // One preemption in flight per waiter is enough.
    if (this.slots.some((state) => state.lease?.preemptedBy === waiter.pid)) return;
    const victim = this.policy.pickVictim(running);
    const lease = victim.lease!;
    lease.preemptedBy = waiter.pid;
    this.emit({
      type: 'sched.preempt',
      victim: victim.pid,
      by: waiter.pid,
      slot: lease.slot.index,
      reason: `${waiter.priority.class} process ${waiter.pid} outranks ${victim.priority.class} process ${victim.pid}`,
    });
  }

  private async handOver(entry: Entry, state: SlotState, waiter: NonNullable<Entry['waiter']>): Promise<void> {
    try {
      const previous = state.resident !== null && state.resident !== entry.pid ? this.entries.get(state.resident) : undefined;
      if (previous?.kv.kind === 'resident' && previous.kv.slot === state.slot.index) await this.swapOut(previous, state);
      if (entry.kv.kind === 'swapped' && entry.kv.core !== state.core) {
        // Moving between cores re-prefills: a core's KV state cannot be read by another's.
        await this.swapper.discard(entry.kv.state);
        entry.kv = { kind: 'none' };
      }
      if (entry.kv.kind === 'swapped') await this.swapIn(entry, entry.kv.state, state);
      entry.kv = { kind: 'resident', slot: state.slot.index };
      state.resident = entry.pid;
      const lease = new Lease(this, entry.pid, state.slot, state.core);
      state.lease = lease;
      entry.lease = lease;
      waiter.grant(lease);
    } catch (error) {
      // The slot's core went down during the hand-over (its slots have left): wait for one elsewhere.
      if (error instanceof KernelError && error.code === 'CORE_UNAVAILABLE' && !this.slots.includes(state) && this.entries.get(entry.pid) === entry) {
        entry.kv = { kind: 'none' };
        entry.waiter = waiter;
      } else waiter.fail(error);
    } finally {
      state.reserved = false;
      this.dispatch();
    }
  }

  private async swapOut(entry: Entry, state: SlotState): Promise<void> {
    const started = performance.now();
    try {
      const swapped = await this.swapper.swapOut(entry.pid, state.slot);
      entry.kv = { kind: 'swapped', state: swapped, core: state.core };
      entry.stats.swapsOut++;
      this.emitSwap(entry.pid, 'out', state, swapped.bytes, started);
    } catch (error) {
      // Nothing is lost: the process keeps its tokens and re-prefills when it runs again.
      entry.kv = { kind: 'none' };
      this.emitSwap(entry.pid, 'out', state, 0, started, (error as Error).message);
    }
    state.resident = null;
  }

  private async swapIn(entry: Entry, swapped: SwappedState, state: SlotState): Promise<void> {
    const started = performance.now();
    try {
      await this.swapper.swapIn(swapped, state.slot);
      entry.stats.swapsIn++;
      this.emitSwap(entry.pid, 'in', state, swapped.bytes, started);
    } catch (error) {
      await state.slot.clear();
      this.emitSwap(entry.pid, 'in', state, 0, started, `${(error as Error).message}; re-prefilling instead`);
    } finally {
      await this.swapper.discard(swapped);
    }
  }

  private emitSwap(pid: number, direction: 'out' | 'in', state: SlotState, bytes: number, started: number, error?: string): void {
    this.emit({
      type: 'sched.swap',
      pid,
      direction,
      slot: state.slot.index,
      location: this.swapper.location,
      bytes,
      durationMs: performance.now() - started,
      ok: error === undefined,
      ...(error === undefined ? {} : { error }),
    });
  }
}
