import type { KernelEvent } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';

/** What a process that holds no slot lease is waiting on. */
export type BlockedOn = 'tool' | 'grant' | 'input' | 'timer' | 'suspended';

export interface Blocked {
  on: BlockedOn;
  /** The tool being called, when `on` is `tool` (or a grant for one). */
  tool: string | null;
  /** When the wait began (ms, the events' clock). */
  since: number;
}

export interface IdlenessPriors {
  /** A tool never seen to finish is expected to take this long. */
  toolMs: number;
  /** A person answering a grant dialog. */
  grantMs: number;
  /** A user (or another agent) writing the next message. */
  inputMs: number;
  /** A timer or watched folder firing. */
  timerMs: number;
  /** One swap out plus one swap in, before any was measured. */
  swapRoundTripMs: number;
}

export const DEFAULT_IDLENESS_PRIORS: IdlenessPriors = { toolMs: 500, grantMs: 10_000, inputMs: 30_000, timerMs: 5_000, swapRoundTripMs: 20 };

/** Weight of the newest sample in the running means (tool durations, swap costs). */
const EWMA = 0.3;

/**
 * How long each blocked process is expected to stay idle, learnt from the kernel's own events:
 * the mean duration of each tool's calls, and the mean cost of a swap. The estimate is "mean minus
 * time waited so far" while a wait is shorter than the mean, and "as long again as it has waited"
 * once it is longer: waits on tools and people are heavy-tailed, so one that has lasted long is
 * likely to last longer still (the Lindy effect MORI's idleness ranking relies on too).
 */
export class IdlenessModel {
  private readonly blocked = new Map<number, Blocked>();
  private readonly toolMeans = new Map<string, number>();
  private readonly callingTool = new Map<number, string>();
  private swapOutMs: number | null = null;
  private swapInMs: number | null = null;

  constructor(private readonly priors: IdlenessPriors = DEFAULT_IDLENESS_PRIORS) {}

  /** Feeds one kernel event; returns true when it may change who is worth swapping out. */
  observe(event: KernelEvent): boolean {
    switch (event.type) {
      case 'proc.step':
        if (event.action.type === 'tool') this.callingTool.set(event.pid, event.action.tool);
        return false;
      case 'proc.tool-result': {
        const mean = this.toolMeans.get(event.tool);
        this.toolMeans.set(event.tool, mean === undefined ? event.durationMs : mean + EWMA * (event.durationMs - mean));
        this.callingTool.delete(event.pid);
        // The call returned: the process is preparing its next step (still `waiting` until it asks for a slot).
        this.blocked.delete(event.pid);
        return false;
      }
      case 'proc.state':
        return this.onState(event);
      case 'proc.exited':
        this.blocked.delete(event.pid);
        this.callingTool.delete(event.pid);
        return false;
      case 'sched.swap':
        if (event.ok) this.noteSwap(event.direction, event.durationMs);
        return false;
      default:
        return false;
    }
  }

  private onState(event: Extract<KernelEvent, { type: 'proc.state' }>): boolean {
    const on = blockedOn(event.state, event.reason);
    if (on === null) {
      this.blocked.delete(event.pid);
      return false;
    }
    const previous = this.blocked.get(event.pid);
    // A tool call that stops for a grant dialog is still the same wait: it began with the call.
    const since = previous && (previous.on === 'tool' || previous.on === 'grant') && (on === 'tool' || on === 'grant') ? previous.since : event.at;
    const tool = on === 'tool' || on === 'grant' ? (this.callingTool.get(event.pid) ?? null) : null;
    this.blocked.set(event.pid, { on, tool, since });
    return true;
  }

  private noteSwap(direction: 'in' | 'out', ms: number): void {
    if (direction === 'out') this.swapOutMs = this.swapOutMs === null ? ms : this.swapOutMs + EWMA * (ms - this.swapOutMs);
    else this.swapInMs = this.swapInMs === null ? ms : this.swapInMs + EWMA * (ms - this.swapInMs);
  }

  /** What the process waits on, or null when it is not blocked (running, ready, or unknown). */
  blockedOn(pid: number): Blocked | null {
    return this.blocked.get(pid) ?? null;
  }

  /** The mean duration of a tool's calls so far, or the prior. */
  toolMeanMs(tool: string | null): number {
    return (tool === null ? undefined : this.toolMeans.get(tool)) ?? this.priors.toolMs;
  }

  /** What moving a state out and back costs, measured (or the prior until both were seen). */
  get swapRoundTripMs(): number {
    if (this.swapOutMs === null || this.swapInMs === null) return Math.max(this.priors.swapRoundTripMs, (this.swapOutMs ?? 0) + (this.swapInMs ?? 0));
    return this.swapOutMs + this.swapInMs;
  }

  /** Expected milliseconds until the process wants a slot again; 0 when it is not blocked. */
  expectedIdleMs(pid: number, now: number): number {
    const blocked = this.blocked.get(pid);
    if (!blocked) return 0;
    if (blocked.on === 'suspended') return Number.POSITIVE_INFINITY;
    const waited = Math.max(0, now - blocked.since);
    const mean =
      blocked.on === 'tool'
        ? this.toolMeanMs(blocked.tool)
        : blocked.on === 'grant'
          ? this.priors.grantMs
          : blocked.on === 'input'
            ? this.priors.inputMs
            : this.priors.timerMs;
    return waited < mean ? mean - waited : waited;
  }
}

/** The process states that mean "not wanting the model now", and why. */
export function blockedOn(state: string, reason: string | undefined): BlockedOn | null {
  if (state === 'suspended') return 'suspended';
  // A blocked tool call has a reason: a grant dialog the user has not answered yet.
  if (state === 'blocked') return 'grant';
  if (state !== 'waiting') return null;
  if (reason && /timer|cron|interval|watch/i.test(reason)) return 'timer';
  if (reason && /input|message|mailbox/i.test(reason)) return 'input';
  return 'tool';
}

export interface IdleSwapOptions {
  /** Slots to keep free of anyone's KV state, ready for a waking process. */
  headroom: number;
  /** Swap out only processes expected to stay idle this many swap round trips or longer. */
  minIdleRoundTrips: number;
  /** How often idleness is re-ranked while nothing happens (waits grow longer by themselves). */
  tickMs: number;
}

export const DEFAULT_IDLE_SWAP: IdleSwapOptions = { headroom: 1, minIdleRoundTrips: 4, tickMs: 100 };

/** The part of the slot scheduler the idle-swap policy drives (mechanism, not policy). */
export interface IdleSwapTarget {
  /** Processes whose KV state sits in a slot nobody uses now. */
  idleResidents(): number[];
  /** Slots holding no one's KV state and not in use. */
  emptySlots(): number;
  /** Moves a process's KV state out of its idle slot; false when it was not resident in one. */
  swapOutIdle(pid: number): Promise<boolean>;
}

/**
 * Which idle residents to swap out now: while fewer than `headroom` slots are empty, the idlest
 * (longest expected wait first), and only those expected to wait well past a swap round trip
 * (swapping out one about to come back costs a swap in for nothing).
 */
export function pickIdleVictims(
  residents: readonly number[],
  emptySlots: number,
  model: IdlenessModel,
  now: number,
  options: IdleSwapOptions = DEFAULT_IDLE_SWAP,
): number[] {
  const wanted = options.headroom - emptySlots;
  if (wanted <= 0) return [];
  const threshold = options.minIdleRoundTrips * model.swapRoundTripMs;
  return residents
    .map((pid) => ({ pid, idle: model.expectedIdleMs(pid, now) }))
    .filter((candidate) => candidate.idle >= threshold)
    .sort((a, b) => b.idle - a.idle || a.pid - b.pid)
    .slice(0, wanted)
    .map((candidate) => candidate.pid);
}

/**
 * Swap by idleness (MORI-like): instead of swapping a resident's KV state out only when another
 * process needs its slot, keep `headroom` slots empty by swapping out the idlest blocked
 * residents ahead of need, so a waking interactive agent finds a free slot and does not wait for
 * a swap out. Fed by the kernel's events; re-ranks on each state change and on a slow tick.
 */
export class IdleSwapper implements Disposable {
  readonly model: IdlenessModel;
  private readonly inFlight = new Set<number>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private pending = false;
  private disposed = false;

  constructor(
    private readonly target: IdleSwapTarget,
    subscribe: (listener: (event: KernelEvent) => void) => () => void,
    private readonly options: IdleSwapOptions = DEFAULT_IDLE_SWAP,
    priors: IdlenessPriors = DEFAULT_IDLENESS_PRIORS,
  ) {
    this.model = new IdlenessModel(priors);
    this.unsubscribe = subscribe((event) => {
      if (this.model.observe(event) || event.type === 'sched.slice') this.soon();
    });
    this.timer = setInterval(() => this.soon(), options.tickMs);
    this.timer.unref();
  }

  /** Re-ranks once the current event has been handled by everyone (not inside the emitter). */
  private soon(): void {
    if (this.pending || this.disposed) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.rebalance();
    });
  }

  private rebalance(): void {
    if (this.disposed) return;
    const residents = this.target.idleResidents().filter((pid) => !this.inFlight.has(pid));
    const victims = pickIdleVictims(residents, this.target.emptySlots() + this.inFlight.size, this.model, Date.now(), this.options);
    for (const pid of victims) {
      this.inFlight.add(pid);
      // A failed swap out leaves the process resident (or re-prefilling): nothing to undo here.
      void this.target
        .swapOutIdle(pid)
        .catch(() => false)
        .finally(() => this.inFlight.delete(pid));
    }
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.timer);
    this.unsubscribe();
  }
}
