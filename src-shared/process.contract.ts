import { z } from 'zod';

export const ProcessState = z.enum([
  'new',
  'ready',
  'running',
  'waiting',
  'blocked',
  'suspended',
  'exited',
  'crashed',
]);
export type ProcessState = z.infer<typeof ProcessState>;

export const TERMINAL_STATES: readonly ProcessState[] = ['exited', 'crashed'];
export function isTerminal(state: ProcessState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** Scheduling classes, highest first. Interrupt handlers run in `realtime`. */
export const PriorityClass = z.enum(['realtime', 'interactive', 'normal', 'background', 'idle']);
export type PriorityClass = z.infer<typeof PriorityClass>;

/** Unix-style niceness inside a class: -20 (most favoured) to 19 (least). */
export const Nice = z.number().int().min(-20).max(19);

export const Priority = z.object({
  class: PriorityClass,
  nice: Nice,
});
export type Priority = z.infer<typeof Priority>;

export const AgentKind = z.enum(['interactive', 'background', 'interrupt-handler']);
export type AgentKind = z.infer<typeof AgentKind>;

export const ProcessCounters = z.object({
  tokensIn: z.number().int().nonnegative(),
  tokensOut: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  syscalls: z.number().int().nonnegative(),
  /** Wall time this process spent holding the model on a CPU backend. */
  cpuMs: z.number().nonnegative(),
  /** Wall time this process spent holding the model on a GPU backend. */
  gpuMs: z.number().nonnegative(),
  /** Decode speed over the last slice, for live views. */
  tokensPerSecond: z.number().nonnegative(),
  /** Tokens of this process's context (its KV cache when resident). */
  contextTokens: z.number().int().nonnegative(),
  preemptions: z.number().int().nonnegative(),
  swapsOut: z.number().int().nonnegative(),
  swapsIn: z.number().int().nonnegative(),
});
export type ProcessCounters = z.infer<typeof ProcessCounters>;

export function emptyCounters(): ProcessCounters {
  return {
    tokensIn: 0,
    tokensOut: 0,
    steps: 0,
    toolCalls: 0,
    syscalls: 0,
    cpuMs: 0,
    gpuMs: 0,
    tokensPerSecond: 0,
    contextTokens: 0,
    preemptions: 0,
    swapsOut: 0,
    swapsIn: 0,
  };
}

export const ExitStatus = z.object({
  code: z.number().int(),
  reason: z.string(),
  answer: z.string().optional(),
});
export type ExitStatus = z.infer<typeof ExitStatus>;

/** The process control block as everyone outside the kernel sees it. */
export const ProcessInfo = z.object({
  pid: z.number().int().positive(),
  agentId: z.string(),
  name: z.string(),
  icon: z.string(),
  kind: AgentKind,
  task: z.string(),
  state: ProcessState,
  priority: Priority,
  /** The model sequence slot the process holds, if any. */
  slot: z.number().int().nonnegative().nullable(),
  /**
   * The core (see cores.contract.ts) the process runs on, or last ran on; null before its first slice.
   * Defaults to null so journals written before cores existed still replay.
   */
  core: z.string().nullable().default(null),
  counters: ProcessCounters,
  /** Token use per region of the context window, and what is paged out to long-term memory. */
  memory: z
    .object({
      regions: z.object({ system: z.number(), working: z.number(), recall: z.number(), fifo: z.number(), summary: z.number() }),
      contextSize: z.number(),
      pagedOutBlocks: z.number(),
      pagedOutTokens: z.number(),
    })
    .nullable(),
  /** Where this process's KV state is while it does not hold a slot. */
  swap: z.object({ location: z.enum(['ram', 'disk']), bytes: z.number().int().nonnegative() }).nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  lastRunAt: z.number().nullable(),
  exitedAt: z.number().nullable(),
  exit: ExitStatus.nullable(),
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;

/** The PCB of a process about to be spawned: state `new`, nothing run, nothing counted. */
// The manifest's fields a PCB copies, named here rather than imported: manifest.contract.ts imports this file.
export function freshProcessInfo(pid: number, manifest: { id: string; name: string; icon: string; kind: AgentKind }, task: string, priority: Priority): ProcessInfo {
  return {
    pid,
    agentId: manifest.id,
    name: manifest.name,
    icon: manifest.icon,
    kind: manifest.kind,
    task,
    state: 'new',
    priority,
    slot: null,
    core: null,
    counters: emptyCounters(),
    createdAt: Date.now(),
    startedAt: null,
    lastRunAt: null,
    exitedAt: null,
    exit: null,
    swap: null,
    memory: null,
  };
}
