import type { Priority, PriorityClass } from '../../../src-shared/index.js';

export const CLASS_RANK: Record<PriorityClass, number> = { realtime: 0, interactive: 1, normal: 2, background: 3, idle: 4 };
const CLASSES = Object.keys(CLASS_RANK) as PriorityClass[];

/** Linux's nice-to-weight curve: each nice step is about 10% of CPU share; nice 0 weighs 1024. */
export function niceWeight(nice: number): number {
  return 1024 / 1.25 ** nice;
}

/** What a policy sees of a process that waits for, or holds, a slot. */
export interface Runnable {
  readonly pid: number;
  readonly priority: Priority;
  /** Tokens run, divided by weight: lower has had less than its share. */
  readonly vruntime: number;
  /** When it last held a slot (ms), 0 if never. */
  readonly lastRanAt: number;
  readonly arrival: number;
}

/** Recent tokens per class, decayed, so shares reflect the last few hundred tokens. */
export class ClassUsage {
  private readonly sums = new Map<PriorityClass, number>();
  constructor(private readonly window = 512) {}

  charge(priorityClass: PriorityClass, tokens: number): void {
    const decay = (1 - 1 / this.window) ** tokens;
    for (const [key, value] of this.sums) this.sums.set(key, value * decay);
    this.sums.set(priorityClass, (this.sums.get(priorityClass) ?? 0) + tokens);
  }

  total(): number {
    let total = 0;
    for (const value of this.sums.values()) total += value;
    return total;
  }

  share(priorityClass: PriorityClass): number {
    const total = this.total();
    return total === 0 ? 0 : (this.sums.get(priorityClass) ?? 0) / total;
  }
}

/** Decides who runs; the slot scheduler (the mechanism) asks it at every slot hand-out and quantum end. */
export interface SchedulingPolicy {
  readonly name: string;
  /** Tokens a process may decode before it must offer its slot to a waiter. */
  quantumTokens(priority: Priority): number;
  /** The next to run among `candidates` (never empty). */
  pickNext<T extends Runnable>(candidates: readonly T[], usage: ClassUsage): T;
  /** Whether a waiting process may take a running one's slot at once, mid-decode. */
  mayPreempt(waiter: Runnable, running: Runnable): boolean;
  /** Which running process gives up its slot (never empty). */
  pickVictim<T extends Runnable>(running: readonly T[]): T;
}

export interface FairShareOptions {
  quantumTokens: number;
  /** Share a waiting class keeps under sustained load from higher classes. */
  minShare: Partial<Record<PriorityClass, number>>;
}

export const DEFAULT_FAIR_SHARE: FairShareOptions = {
  quantumTokens: 32,
  minShare: { normal: 0.15, background: 0.1, idle: 0.02 },
};

/**
 * Strict priority between classes, with a guaranteed minimum share for lower classes so none
 * starves; inside a class, weighted fair sharing by virtual runtime (tokens / nice weight), as CFS.
 */
export function fairSharePolicy(options: FairShareOptions = DEFAULT_FAIR_SHARE): SchedulingPolicy {
  const byVruntime = <T extends Runnable>(a: T, b: T): number => a.vruntime - b.vruntime || a.arrival - b.arrival;
  return {
    name: 'fair-share',
    quantumTokens: () => options.quantumTokens,
    pickNext<T extends Runnable>(candidates: readonly T[], usage: ClassUsage): T {
      const present = new Set(candidates.map((c) => c.priority.class));
      const highest = CLASSES.find((c) => present.has(c))!;
      // A lower class under its floor runs next; the most starved relative to its floor first.
      // Floors apply once there is recent load to share, not to an idle model.
      let chosen = highest;
      let worst = 1;
      const loaded = usage.total() >= 2 * options.quantumTokens;
      for (const priorityClass of loaded ? CLASSES : []) {
        const floor = options.minShare[priorityClass] ?? 0;
        if (!present.has(priorityClass) || priorityClass === highest || floor === 0 || priorityClass === 'realtime') continue;
        const ratio = usage.share(priorityClass) / floor;
        if (ratio < worst) {
          worst = ratio;
          chosen = priorityClass;
        }
      }
      return candidates.filter((c) => c.priority.class === chosen).sort(byVruntime)[0]!;
    },
    mayPreempt: (waiter, running) => CLASS_RANK[waiter.priority.class] < CLASS_RANK[running.priority.class],
    pickVictim<T extends Runnable>(running: readonly T[]): T {
      return [...running].sort(
        (a, b) => CLASS_RANK[b.priority.class] - CLASS_RANK[a.priority.class] || a.lastRanAt - b.lastRanAt || b.vruntime - a.vruntime,
      )[0]!;
    },
  };
}

/** The application-layer baseline: first come, first served, never preempted. */
export function fcfsPolicy(): SchedulingPolicy {
  return {
    name: 'fcfs',
    quantumTokens: () => Number.POSITIVE_INFINITY,
    pickNext: <T extends Runnable>(candidates: readonly T[]): T => [...candidates].sort((a, b) => a.arrival - b.arrival)[0]!,
    mayPreempt: () => false,
    pickVictim: <T extends Runnable>(running: readonly T[]): T => running[0]!,
  };
}
