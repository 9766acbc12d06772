import type { AgentManifest, ProcessInfo } from '../../src-shared/index.js';
import { PriorityClass, isTerminal } from '../../src-shared/index.js';
import { currentRate } from './metrics.slice.js';
import type { KernelStore } from './store-types.js';
import type { SortKey } from './ui.slice.js';

/**
 * Small named selectors, grouped by domain. Those returning a fresh array or object are meant
 * for `useShallow`, so a counter update re-renders only the row whose process changed.
 */

// processes

export const selectProcess =
  (pid: number) =>
  (state: KernelStore): ProcessInfo | undefined =>
    state.processes[pid];

export const selectPending = (pid: number) => (state: KernelStore) => state.pending[pid];

function matches(info: ProcessInfo, needle: string): boolean {
  if (needle === '') return true;
  return [String(info.pid), info.name, info.agentId, info.state, info.priority.class, info.task].some((field) =>
    field.toLowerCase().includes(needle),
  );
}

/** The slot whose KV state is this process's, if the page knows of one. */
export function residentSlotOf(state: KernelStore, pid: number): number | null {
  for (const [slot, holder] of Object.entries(state.scheduler.residents)) if (holder === pid) return Number(slot);
  return null;
}

const CLASS_RANK = Object.fromEntries(PriorityClass.options.map((name, index) => [name, index])) as Record<PriorityClass, number>;

/** The value a column sorts by; numbers sort numerically, strings alphabetically. */
function sortValue(state: KernelStore, info: ProcessInfo, key: SortKey): number | string {
  switch (key) {
    case 'pid':
      return info.pid;
    case 'name':
      return info.name.toLowerCase();
    case 'state':
      return info.state;
    case 'class':
      return CLASS_RANK[info.priority.class] * 100 + info.priority.nice;
    case 'core':
      return info.core ?? '';
    case 'slot':
      return info.slot ?? Number.POSITIVE_INFINITY;
    case 'rate':
      return currentRate(state.rates[info.pid]);
    case 'tokens':
      return info.counters.tokensIn + info.counters.tokensOut;
    case 'context':
      return info.counters.contextTokens;
    case 'kv':
      return info.swap?.bytes ?? (residentSlotOf(state, info.pid) !== null ? 0.5 : 0);
    case 'tools':
      return info.counters.toolCalls;
    case 'uptime': {
      const since = info.startedAt ?? info.createdAt;
      return (info.exitedAt ?? Date.now()) - since;
    }
  }
}

/**
 * The pids the table shows, in the chosen order (pid breaks ties): the list changes only when a
 * row appears, goes, stops matching, or moves.
 */
export const selectVisiblePids = (state: KernelStore): number[] => {
  const needle = state.filter.trim().toLowerCase();
  const { key, direction } = state.sort;
  const sign = direction === 'ascending' ? 1 : -1;
  return Object.values(state.processes)
    .filter((info) => (state.showFinished || !isTerminal(info.state)) && matches(info, needle))
    .map((info) => ({ pid: info.pid, value: sortValue(state, info, key) }))
    .sort((a, b) => {
      const order =
        typeof a.value === 'number' && typeof b.value === 'number' ? a.value - b.value : String(a.value).localeCompare(String(b.value));
      return order !== 0 ? order * sign : a.pid - b.pid;
    })
    .map((row) => row.pid);
};

export const selectProcessTotals = (state: KernelStore) => {
  let live = 0;
  let running = 0;
  let tokensPerSecond = 0;
  let swappedRamBytes = 0;
  let swappedDiskBytes = 0;
  for (const info of Object.values(state.processes)) {
    if (isTerminal(info.state)) continue;
    live += 1;
    tokensPerSecond += currentRate(state.rates[info.pid]);
    if (info.state === 'running') running += 1;
    if (info.swap?.location === 'ram') swappedRamBytes += info.swap.bytes;
    if (info.swap?.location === 'disk') swappedDiskBytes += info.swap.bytes;
  }
  return {
    total: Object.keys(state.processes).length,
    live,
    running,
    tokensPerSecond: Math.round(tokensPerSecond * 10) / 10,
    swappedRamBytes,
    swappedDiskBytes,
  };
};

export const selectRateHistory = (pid: number) => (state: KernelStore) => state.rates[pid];
export const selectResidentSlot = (pid: number) => (state: KernelStore) => residentSlotOf(state, pid);
export const selectContextSize = (state: KernelStore) => state.info?.model?.contextSize ?? null;

// kernel

export const selectConnection = (state: KernelStore) => state.connection;
export const selectKernelInfo = (state: KernelStore) => state.info;
export const selectDroppedEvents = (state: KernelStore) => state.droppedEvents;

// gallery

export const selectAgents = (state: KernelStore): readonly AgentManifest[] => state.agents;
export const selectAgent = (agentId: string | null) => (state: KernelStore) =>
  agentId === null ? undefined : state.agents.find((agent) => agent.id === agentId);
export const selectTools = (state: KernelStore) => state.tools;

// console

export const selectConsoleText = (pid: number) => (state: KernelStore) => state.consoles[pid]?.text ?? '';

// ui

export const selectView = (state: KernelStore) => state.view;
export const selectSelectedPid = (state: KernelStore) => state.selectedPid;
export const selectIsSelected = (pid: number) => (state: KernelStore) => state.selectedPid === pid;
export const selectFilter = (state: KernelStore) => state.filter;
export const selectShowFinished = (state: KernelStore) => state.showFinished;
export const selectSort = (state: KernelStore) => state.sort;
export const selectTheme = (state: KernelStore) => state.theme;
export const selectErrors = (state: KernelStore) => state.errors;
export const selectInstalling = (state: KernelStore) => state.installing;
export const selectRenicing = (state: KernelStore) => state.renicing;

export const selectKilling = (state: KernelStore) => state.killing;

export const selectProcessActions = (state: KernelStore) => ({
  kill: state.kill,
  suspend: state.suspend,
  resume: state.resume,
  renice: state.renice,
  select: state.select,
  openRenice: state.openRenice,
  openKill: state.openKill,
});
