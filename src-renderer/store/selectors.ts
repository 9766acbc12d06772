import type { AgentManifest, ProcessInfo } from '../../src-shared/index.js';
import { isTerminal } from '../../src-shared/index.js';
import type { KernelStore } from './store-types.js';

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

/** The pids the table shows, in pid order: changes only when a row appears, goes, or stops matching. */
export const selectVisiblePids = (state: KernelStore): number[] => {
  const needle = state.filter.trim().toLowerCase();
  return Object.values(state.processes)
    .filter((info) => (state.showFinished || !isTerminal(info.state)) && matches(info, needle))
    .map((info) => info.pid)
    .sort((a, b) => a - b);
};

export const selectProcessTotals = (state: KernelStore) => {
  let live = 0;
  let running = 0;
  let tokensPerSecond = 0;
  for (const info of Object.values(state.processes)) {
    if (!isTerminal(info.state)) live += 1;
    if (info.state === 'running') {
      running += 1;
      tokensPerSecond += info.counters.tokensPerSecond;
    }
  }
  return { total: Object.keys(state.processes).length, live, running, tokensPerSecond: Math.round(tokensPerSecond * 10) / 10 };
};

// kernel

export const selectConnection = (state: KernelStore) => state.connection;
export const selectKernelInfo = (state: KernelStore) => state.info;
export const selectDroppedEvents = (state: KernelStore) => state.droppedEvents;

// gallery

export const selectAgents = (state: KernelStore): readonly AgentManifest[] => state.agents;

// console

export const selectConsoleText = (pid: number) => (state: KernelStore) => state.consoles[pid]?.text ?? '';

// ui

export const selectSelectedPid = (state: KernelStore) => state.selectedPid;
export const selectIsSelected = (pid: number) => (state: KernelStore) => state.selectedPid === pid;
export const selectFilter = (state: KernelStore) => state.filter;
export const selectShowFinished = (state: KernelStore) => state.showFinished;
export const selectTheme = (state: KernelStore) => state.theme;
export const selectErrors = (state: KernelStore) => state.errors;

export const selectProcessActions = (state: KernelStore) => ({
  kill: state.kill,
  suspend: state.suspend,
  resume: state.resume,
  renice: state.renice,
  select: state.select,
});
