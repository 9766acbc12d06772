import type { KernelEvent, PriorityClass, ProcessInfo } from '../../src-shared/index.js';
import { isTerminal } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/** pid → process control block, as the kernel last reported it. Rows keep their identity until they change. */
export type ProcessTable = Readonly<Record<number, ProcessInfo>>;

export type ProcessCommand = 'kill' | 'suspend' | 'resume' | 'renice' | 'input';

/** What `proc.renice` may change: the class, the niceness inside it, or both. */
export interface PriorityChange {
  class?: PriorityClass;
  nice?: number;
}

export interface SpawnOptions {
  priorityClass?: PriorityClass;
  /** Interactive agents wait for the next message after answering instead of exiting. */
  session?: boolean;
}

export interface ProcessesSlice {
  processes: ProcessTable;
  /** Commands the kernel has not answered yet, so a row can hold its buttons until it does. */
  pending: Readonly<Record<number, ProcessCommand>>;
  /** Each command resolves to whether the kernel accepted it. */
  kill(pid: number): Promise<boolean>;
  suspend(pid: number): Promise<boolean>;
  resume(pid: number): Promise<boolean>;
  renice(pid: number, change: PriorityChange): Promise<boolean>;
  /** Sends a user message to a live interactive agent. */
  input(pid: number, text: string): Promise<boolean>;
  /** Clears every finished process from the kernel's table; resolves to how many went. */
  clearFinished(): Promise<number>;
  /** Starts a gallery agent on a task; resolves to the new process, or null when the kernel refused. */
  spawn(agentId: string, task: string, options?: SpawnOptions): Promise<ProcessInfo | null>;
}

export function processTableOf(list: readonly ProcessInfo[]): ProcessTable {
  const table: Record<number, ProcessInfo> = {};
  // A finished process holds no KV state, whatever a late swap left on its PCB.
  for (const info of list) table[info.pid] = isTerminal(info.state) && info.swap ? { ...info, swap: null } : info;
  return table;
}

function update(table: ProcessTable, pid: number, change: (info: ProcessInfo) => ProcessInfo): ProcessTable {
  const current = table[pid];
  if (!current) return table;
  return { ...table, [pid]: change(current) };
}

/**
 * The process table as a projection of kernel events, mirroring the kernel's own table:
 * a pure function that returns the same object when an event does not touch it.
 */
export function applyProcessEvent(table: ProcessTable, event: KernelEvent): ProcessTable {
  switch (event.type) {
    case 'proc.spawned':
      return { ...table, [event.process.pid]: event.process };
    case 'proc.state':
      return update(table, event.pid, (info) => ({
        ...info,
        state: event.state,
        slot: event.slot,
        // Said when it starts running on a core; kept after, as the core it last ran on.
        core: event.core ?? info.core,
        startedAt: event.state === 'running' ? (info.startedAt ?? event.at) : info.startedAt,
        lastRunAt: event.state === 'running' ? event.at : info.lastRunAt,
      }));
    case 'proc.priority':
      return update(table, event.pid, (info) => ({ ...info, priority: event.priority }));
    case 'proc.counters':
      return update(table, event.pid, (info) => ({ ...info, counters: event.counters }));
    case 'memory.layout':
      return update(table, event.pid, (info) => ({
        ...info,
        memory: { regions: event.regions, contextSize: event.contextSize, pagedOutBlocks: event.pagedOutBlocks, pagedOutTokens: event.pagedOutTokens },
      }));
    case 'sched.swap':
      // A swap-out that lands after the exit (the slot freed for another agent) is not KV the process still holds.
      if (!event.ok || (table[event.pid] && isTerminal(table[event.pid]!.state))) return table;
      return update(table, event.pid, (info) => ({
        ...info,
        swap: event.direction === 'out' ? { location: event.location, bytes: event.bytes } : null,
      }));
    case 'proc.reaped': {
      const remaining = { ...table };
      for (const pid of event.pids) delete remaining[pid];
      return remaining;
    }
    case 'proc.exited':
      return update(table, event.pid, (info) => ({
        ...info,
        state: event.state,
        exit: event.exit,
        exitedAt: event.at,
        slot: null,
        swap: null,
      }));
    default:
      return table;
  }
}

export const createProcessesSlice: SliceCreator<ProcessesSlice> = (set, get) => {
  /**
   * Marks the row busy for the call's lifetime; the change itself arrives as events.
   * Resolves to whether the kernel accepted the command (a refusal is in the error banner).
   */
  const command = async (pid: number, name: ProcessCommand, run: () => Promise<unknown>): Promise<boolean> => {
    set((state) => ({ pending: { ...state.pending, [pid]: name } }), false, `processes/${name}`);
    try {
      return (await run()) !== undefined;
    } finally {
      set(
        (state) => {
          const { [pid]: _settled, ...rest } = state.pending;
          return { pending: rest };
        },
        false,
        `processes/${name}-settled`,
      );
    }
  };

  return {
    processes: {},
    pending: {},
    kill: (pid) => command(pid, 'kill', () => get().callKernel('proc.kill', { pid })),
    suspend: (pid) => command(pid, 'suspend', () => get().callKernel('proc.suspend', { pid })),
    resume: (pid) => command(pid, 'resume', () => get().callKernel('proc.resume', { pid })),
    renice: (pid, change) =>
      command(pid, 'renice', () =>
        get().callKernel('proc.renice', {
          pid,
          ...(change.class === undefined ? {} : { class: change.class }),
          ...(change.nice === undefined ? {} : { nice: change.nice }),
        }),
      ),
    input: (pid, text) => command(pid, 'input', () => get().callKernel('proc.input', { pid, text })),
    clearFinished: async () => {
      const result = await get().callKernel('proc.reap', {});
      const selected = get().selectedPid;
      if (result && selected !== null && result.reaped.includes(selected)) set({ selectedPid: null }, false, 'processes/cleared');
      return result?.reaped.length ?? 0;
    },
    spawn: async (agentId, task, options = {}) => {
      const info = await get().callKernel('proc.spawn', {
        agent: agentId,
        task,
        ...(options.priorityClass === undefined ? {} : { priorityClass: options.priorityClass }),
        ...(options.session === undefined ? {} : { session: options.session }),
      });
      if (!info) return null;
      set({ selectedPid: info.pid }, false, 'processes/spawn');
      return info;
    },
  };
};
