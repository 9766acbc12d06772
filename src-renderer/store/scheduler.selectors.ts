import type { ProcessInfo } from '../../src-shared/index.js';
import { isTerminal } from '../../src-shared/index.js';
import type { KernelStore } from './store-types.js';

/** Scheduler and KV memory selectors. */

export interface SlotView {
  slot: number;
  /** The process whose KV state is in the slot, if the page knows. */
  resident: number | null;
  /** Whether that process is decoding in it right now. */
  running: boolean;
}

export const selectSlotCount = (state: KernelStore): number => state.info?.model?.slots ?? 0;

/** One entry per model slot, for `useShallow` over a list of primitives. */
export const selectSlotResidents = (state: KernelStore): (number | null)[] => {
  const count = selectSlotCount(state);
  return Array.from({ length: count }, (_, slot) => state.scheduler.residents[slot] ?? null);
};

/** Pids whose KV state is swapped out, largest first. */
export const selectSwappedPids = (state: KernelStore): number[] =>
  Object.values(state.processes)
    .filter((info): info is ProcessInfo & { swap: NonNullable<ProcessInfo['swap']> } => info.swap !== null && !isTerminal(info.state))
    .sort((a, b) => b.swap.bytes - a.swap.bytes || a.pid - b.pid)
    .map((info) => info.pid);

export const selectSwapLog = (state: KernelStore) => state.scheduler.swaps;
export const selectPreemptions = (state: KernelStore) => state.scheduler.preemptions;
export const selectSwapTotals = (state: KernelStore) => state.scheduler.swapTotals;
export const selectHandoffs = (state: KernelStore) => state.scheduler.handoffs;
export const selectSnapshot = (pid: number) => (state: KernelStore) => state.scheduler.snapshots[pid];
export const selectKvBytesPerToken = (state: KernelStore): number | null => state.info?.model?.kvBytesPerToken ?? null;

// long-term memory

export const selectMemoryStatus = (state: KernelStore) => state.info?.memory ?? null;
export const selectPagedBlocks = (pid: number) => (state: KernelStore) => state.memory.pagedOut[pid];
export const selectProcessMemory = (pid: number) => (state: KernelStore) => state.processes[pid]?.memory ?? null;

/** Pids the paged-memory picker offers: live agents, and any that paged something out. */
export const selectMemoryPids = (state: KernelStore): number[] =>
  Object.values(state.processes)
    .filter((info) => !isTerminal(info.state) || (info.memory?.pagedOutBlocks ?? 0) > 0 || state.memory.pagedOut[info.pid] !== undefined)
    .map((info) => info.pid);

/** Recalls into one agent, newest first. */
export const selectRecalls = (pid: number) => (state: KernelStore) => state.memory.recalls.filter((recall) => recall.pid === pid).reverse();
