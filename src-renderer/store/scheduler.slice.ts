import type { KernelEvent, KernelEventOf, ProcessInfo } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/** Swaps and preemptions kept for the KV Memory view. */
export const SCHED_LOG_LIMIT = 200;

export type SwapRecord = Omit<KernelEventOf<'sched.swap'>, 'type'>;
export type PreemptRecord = Omit<KernelEventOf<'sched.preempt'>, 'type'>;
export type HandoffRecord = Omit<KernelEventOf<'ipc.handoff'>, 'type'>;
export type SnapshotRecord = Omit<KernelEventOf<'proc.snapshot'>, 'type'>;

/**
 * What the page knows of the model's sequence slots, projected from scheduler events:
 * whose KV state each slot holds (it stays after the lease ends, until another process needs
 * the slot), and the recent swaps and preemptions.
 */
export interface SchedulerState {
  /** slot index → pid whose KV is resident there; absent while unknown or empty. */
  residents: Readonly<Record<number, number>>;
  swaps: readonly SwapRecord[];
  preemptions: readonly PreemptRecord[];
  /** Agents started from another's context, as KV state or as text. */
  handoffs: readonly HandoffRecord[];
  /** pid → the last snapshot of its KV state the kernel wrote. */
  snapshots: Readonly<Record<number, SnapshotRecord>>;
  /** Every swap this page saw, in and out, even once dropped from the log. */
  swapTotals: { readonly out: number; readonly in: number; readonly bytesOut: number };
}

export interface SchedulerSlice {
  scheduler: SchedulerState;
}

export const emptyScheduler: SchedulerState = {
  residents: {},
  swaps: [],
  preemptions: [],
  handoffs: [],
  snapshots: {},
  swapTotals: { out: 0, in: 0, bytesOut: 0 },
};

/** The residency a fresh snapshot allows us to know: the slots of running processes. */
export function schedulerFromProcesses(processes: readonly ProcessInfo[]): SchedulerState {
  const residents: Record<number, number> = {};
  for (const info of processes) if (info.slot !== null) residents[info.slot] = info.pid;
  return { ...emptyScheduler, residents };
}

function withResident(residents: Readonly<Record<number, number>>, slot: number, pid: number | null): Readonly<Record<number, number>> {
  const next: Record<number, number> = {};
  for (const [key, holder] of Object.entries(residents)) if (holder !== pid && Number(key) !== slot) next[Number(key)] = holder;
  if (pid !== null) next[slot] = pid;
  return next;
}

function withoutPid(residents: Readonly<Record<number, number>>, pid: number): Readonly<Record<number, number>> {
  if (!Object.values(residents).includes(pid)) return residents;
  const next: Record<number, number> = {};
  for (const [key, holder] of Object.entries(residents)) if (holder !== pid) next[Number(key)] = holder;
  return next;
}

const capped = <T>(list: readonly T[], item: T): readonly T[] => [...list, item].slice(-SCHED_LOG_LIMIT);

export function applySchedulerEvent(state: SchedulerState, event: KernelEvent): SchedulerState {
  switch (event.type) {
    case 'proc.state':
      if (event.slot === null || state.residents[event.slot] === event.pid) return state;
      return { ...state, residents: withResident(state.residents, event.slot, event.pid) };
    case 'sched.swap': {
      const { type: _type, ...record } = event;
      let residents = state.residents;
      if (event.ok && event.direction === 'out' && residents[event.slot] === event.pid) residents = withResident(residents, event.slot, null);
      if (event.direction === 'in') residents = withResident(residents, event.slot, event.pid);
      const totals = state.swapTotals;
      return {
        ...state,
        residents,
        swaps: capped(state.swaps, record),
        swapTotals:
          event.direction === 'out'
            ? { ...totals, out: totals.out + 1, bytesOut: totals.bytesOut + event.bytes }
            : { ...totals, in: totals.in + 1 },
      };
    }
    case 'sched.preempt': {
      const { type: _type, ...record } = event;
      return { ...state, preemptions: capped(state.preemptions, record) };
    }
    case 'ipc.handoff': {
      const { type: _type, ...record } = event;
      return { ...state, handoffs: capped(state.handoffs, record) };
    }
    case 'proc.snapshot': {
      if (!event.ok) return state;
      const { type: _type, ...record } = event;
      return { ...state, snapshots: { ...state.snapshots, [event.pid]: record } };
    }
    case 'proc.exited': {
      const residents = withoutPid(state.residents, event.pid);
      return residents === state.residents ? state : { ...state, residents };
    }
    default:
      return state;
  }
}

export const createSchedulerSlice: SliceCreator<SchedulerSlice> = () => ({
  scheduler: emptyScheduler,
});
