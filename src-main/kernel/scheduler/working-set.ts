import type { Priority } from '../../../src-shared/index.js';
import { CLASS_RANK } from './scheduling-policy.js';

/**
 * The working set: how many batch processes (classes below interactive) compete for slots at once.
 * Without it, 1,000 background agents share the slots so evenly that none finishes for minutes and
 * every slice swaps KV in and out; with it, a bounded set is time-sliced and runs to completion
 * while the rest wait in arrival order. Interactive and realtime work is never held back, so it
 * still preempts the set.
 */
export function governed(priority: Priority): boolean {
  return CLASS_RANK[priority.class] > CLASS_RANK.interactive;
}

export interface WorkingSetBudget {
  slots: number;
  /** One process's KV state at a full slot (kvBytesPerToken × tokens per slot). */
  kvBytesPerSlot: number;
  /** RAM for swapped-out KV states; by default as much as the slots hold, so the set is twice the slots. */
  swapBudgetBytes?: number;
}

/**
 * Resident processes (one per slot) plus as many swapped-out ones as the swap budget holds at full
 * slots: enough that a slot freed by a member blocked on a tool call has another member to run,
 * few enough that members' KV mostly stays where it is.
 */
export function workingSetLimit(budget: WorkingSetBudget): number {
  const swapBudget = budget.swapBudgetBytes ?? budget.slots * budget.kvBytesPerSlot;
  const swapped = budget.kvBytesPerSlot > 0 ? Math.floor(swapBudget / budget.kvBytesPerSlot) : budget.slots;
  return Math.max(1, budget.slots + swapped);
}

/** A member idle this long (blocked on a mailbox, suspended) gives its seat to the first in line. */
export const DEFAULT_IDLE_DEMOTE_MS = 10_000;

export interface WorkingSetOptions {
  idleDemoteMs?: number;
  /** Called when queued processes were admitted: the scheduler dispatches again. */
  onAdmit?: (pids: readonly number[]) => void;
}

export interface WorkingSetStats {
  limit: number;
  members: number;
  queued: number;
}

export class WorkingSet {
  /** Member pid → when it last let go of a slot (ms), or null while it wants or holds one. */
  private readonly members = new Map<number, number | null>();
  /** Waiting governed processes in arrival order (a Set keeps insertion order). */
  private readonly queue = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly idleDemoteMs: number;

  constructor(
    readonly limit: number,
    private readonly options: WorkingSetOptions = {},
  ) {
    // A set of none would hold every batch process back forever.
    if (!(limit >= 1)) throw new RangeError(`the working set must hold at least one process, got ${limit}`);
    this.idleDemoteMs = options.idleDemoteMs ?? DEFAULT_IDLE_DEMOTE_MS;
  }

  /**
   * A process asks for a slot: true when it may compete now (not governed, already a member, or a
   * seat is free and nobody is ahead of it); false when it waits in line.
   */
  request(pid: number, priority: Priority): boolean {
    if (!governed(priority)) return true;
    if (this.members.has(pid)) {
      this.members.set(pid, null);
      return true;
    }
    if (this.queue.size === 0 && this.members.size < this.limit) {
      this.members.set(pid, null);
      return true;
    }
    if (!this.queue.has(pid)) this.queue.add(pid);
    this.demoteIdle();
    this.promote(pid);
    if (this.members.has(pid)) return true;
    this.arm();
    return false;
  }

  mayRun(pid: number, priority: Priority): boolean {
    return !governed(priority) || this.members.has(pid);
  }

  /** A member let go of its slot: from now on it counts as idle until it asks again. */
  rest(pid: number): void {
    if (!this.members.has(pid)) return;
    this.members.set(pid, Date.now());
    this.arm();
  }

  /** The process exited (or left the governed classes): its seat or place in line goes to the next. */
  leave(pid: number): void {
    this.queue.delete(pid);
    if (this.members.delete(pid)) this.promote();
  }

  stats(): WorkingSetStats {
    return { limit: this.limit, members: this.members.size, queued: this.queue.size };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Seats free go to the first in line; `asking` is told by its own request's answer, not by onAdmit. */
  private promote(asking?: number): void {
    const admitted: number[] = [];
    for (const pid of this.queue) {
      if (this.members.size >= this.limit) break;
      this.queue.delete(pid);
      this.members.set(pid, null);
      if (pid !== asking) admitted.push(pid);
    }
    if (admitted.length > 0) this.options.onAdmit?.(admitted);
  }

  /** Members idle past the limit give up their seats while others wait; they queue again when they next ask. */
  private demoteIdle(): boolean {
    if (this.queue.size === 0) return false;
    const cutoff = Date.now() - this.idleDemoteMs;
    let demoted = false;
    for (const [pid, idleSince] of this.members) {
      if (idleSince !== null && idleSince <= cutoff) {
        this.members.delete(pid);
        demoted = true;
      }
    }
    return demoted;
  }

  /** One timer, only while someone waits in line and a member is idle: a quiet kernel keeps none. */
  private arm(): void {
    if (this.timer || this.queue.size === 0) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const idleSince of this.members.values()) if (idleSince !== null) earliest = Math.min(earliest, idleSince);
    if (!Number.isFinite(earliest)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.demoteIdle()) this.promote();
      this.arm();
    }, Math.max(0, earliest + this.idleDemoteMs - Date.now()));
    this.timer.unref();
  }
}
