import { z } from 'zod';
import { ErrorPayload } from './errors.js';
import { AgentManifest } from './manifest.contract.js';
import { ModelInfo } from './model.contract.js';
import { DownloadProgress, InstalledModel } from './model-manager.contract.js';
import { ExitStatus, Priority, ProcessCounters, ProcessInfo, ProcessState } from './process.contract.js';
import { AgentAction } from './syscall.contract.js';
import { InterruptBinding, InterruptSource } from './interrupt.contract.js';
import { AuditRecord, Grant, GrantDecision, GrantRequest } from './sandbox.contract.js';
import { CoreInfo } from './cores.contract.js';

const envelope = { seq: z.number().int().nonnegative(), at: z.number() };

export const KernelEvent = z.discriminatedUnion('type', [
  z.object({ ...envelope, type: z.literal('kernel.started'), version: z.string() }),
  z.object({ ...envelope, type: z.literal('model.loaded'), model: ModelInfo }),
  z.object({ ...envelope, type: z.literal('model.failed'), error: ErrorPayload }),
  /** llama.cpp reading a model into memory: progress from 0 to 1 (not journaled). */
  z.object({ ...envelope, type: z.literal('model.loading'), path: z.string(), progress: z.number().min(0).max(1) }),
  /** A model download's progress, about four times a second (not journaled). */
  z.object({ ...envelope, type: z.literal('model.download'), progress: DownloadProgress }),
  /** The models folder changed: a download finished, a file was imported or deleted, another model loaded. */
  z.object({ ...envelope, type: z.literal('models.changed'), installed: z.array(InstalledModel), inUse: z.string().nullable() }),
  z.object({ ...envelope, type: z.literal('proc.spawned'), process: ProcessInfo, manifest: AgentManifest }),
  z.object({
    ...envelope,
    type: z.literal('proc.state'),
    pid: z.number(),
    state: ProcessState,
    slot: z.number().nullable(),
    /** The core the slot belongs to, when the process starts running there. */
    core: z.string().optional(),
    reason: z.string().optional(),
  }),
  z.object({ ...envelope, type: z.literal('proc.priority'), pid: z.number(), priority: Priority }),
  z.object({ ...envelope, type: z.literal('proc.counters'), pid: z.number(), counters: ProcessCounters }),
  /** Streamed model output: one event per decoded token (coalesced for slow subscribers). */
  z.object({ ...envelope, type: z.literal('proc.output'), pid: z.number(), step: z.number(), text: z.string() }),
  /** A user message delivered to an agent, placed after step `afterStep` in its history. */
  z.object({ ...envelope, type: z.literal('proc.input'), pid: z.number(), afterStep: z.number(), text: z.string() }),
  /** A finished model step: a validated action. */
  z.object({ ...envelope, type: z.literal('proc.step'), pid: z.number(), step: z.number(), action: AgentAction }),
  /** A model step that did not parse or validate; the agent is told and tries again. */
  z.object({ ...envelope, type: z.literal('proc.step-rejected'), pid: z.number(), step: z.number(), error: ErrorPayload }),
  z.object({
    ...envelope,
    type: z.literal('proc.tool-result'),
    pid: z.number(),
    step: z.number(),
    tool: z.string(),
    ok: z.boolean(),
    value: z.unknown().optional(),
    error: ErrorPayload.optional(),
    durationMs: z.number(),
  }),
  /**
   * A step cut short by a kernel restart (crash or shutdown) will be generated again: its partial
   * output is marked interrupted in the transcript, never joined to the regenerated text.
   */
  z.object({ ...envelope, type: z.literal('proc.step-interrupted'), pid: z.number(), step: z.number(), reason: z.string() }),
  z.object({ ...envelope, type: z.literal('proc.exited'), pid: z.number(), state: ProcessState, exit: ExitStatus }),
  /** Finished processes the user cleared: gone from the table, their snapshots deleted. */
  z.object({ ...envelope, type: z.literal('proc.reaped'), pids: z.array(z.number()) }),
  z.object({
    ...envelope,
    type: z.literal('syscall'),
    pid: z.number(),
    call: z.string(),
    ok: z.boolean(),
    durationMs: z.number(),
    errorCode: z.string().optional(),
  }),
  /** A process held a slot for a while and let go of it. */
  z.object({
    ...envelope,
    type: z.literal('sched.slice'),
    pid: z.number(),
    slot: z.number(),
    tokens: z.number(),
    durationMs: z.number(),
    endedBy: z.enum(['step-end', 'quantum', 'preempted', 'suspended', 'killed']),
  }),
  /** The scheduler asked a running process to give its slot to a more urgent one. */
  z.object({ ...envelope, type: z.literal('sched.preempt'), victim: z.number(), by: z.number(), slot: z.number(), reason: z.string() }),
  /** KV state moved out of a slot (to RAM or disk) or back in. */
  z.object({
    ...envelope,
    type: z.literal('sched.swap'),
    pid: z.number(),
    direction: z.enum(['out', 'in']),
    slot: z.number(),
    location: z.enum(['ram', 'disk']),
    bytes: z.number(),
    durationMs: z.number(),
    ok: z.boolean(),
    error: z.string().optional(),
  }),
  z.object({ ...envelope, type: z.literal('interrupt.bound'), binding: InterruptBinding }),
  z.object({ ...envelope, type: z.literal('interrupt.unbound'), bindingId: z.string() }),
  /** An interrupt arrived: handed to a new handler process, or coalesced into the pending count. */
  z.object({
    ...envelope,
    type: z.literal('interrupt.raised'),
    bindingId: z.string().nullable(),
    source: InterruptSource,
    detail: z.string(),
    outcome: z.enum(['dispatched', 'coalesced', 'delivered']),
    pid: z.number().nullable(),
    pending: z.number(),
    coalescedTotal: z.number(),
  }),
  z.object({ ...envelope, type: z.literal('grant.requested'), request: GrantRequest }),
  z.object({
    ...envelope,
    type: z.literal('grant.decided'),
    requestId: z.string(),
    decision: GrantDecision,
    by: z.enum(['user', 'timeout', 'no-approver', 'policy']),
  }),
  z.object({ ...envelope, type: z.literal('grant.added'), grant: Grant }),
  z.object({ ...envelope, type: z.literal('grant.revoked'), grantId: z.string() }),
  z.object({ ...envelope, type: z.literal('grant.used'), grantId: z.string(), uses: z.number() }),
  z.object({ ...envelope, type: z.literal('audit.appended'), record: AuditRecord }),
  /** An agent's KV state, tokens and steps were written to its snapshot file. */
  z.object({
    ...envelope,
    type: z.literal('proc.snapshot'),
    pid: z.number(),
    ok: z.boolean(),
    bytes: z.number(),
    tokens: z.number(),
    durationMs: z.number(),
    error: z.string().optional(),
  }),
  /** A restore from a snapshot was refused; the process re-prefills from the journal instead. */
  z.object({ ...envelope, type: z.literal('proc.restore-refused'), pid: z.number(), reason: z.string() }),
  /** One agent started from another's context: as attention state (kv) or as text. */
  z.object({
    ...envelope,
    type: z.literal('ipc.handoff'),
    from: z.number(),
    to: z.number(),
    requested: z.enum(['kv', 'text']),
    mode: z.enum(['kv', 'text']),
    tokens: z.number(),
    /** Why a kv handoff fell back to text. */
    reason: z.string().optional(),
  }),
  z.object({ ...envelope, type: z.literal('ipc.message'), from: z.string(), to: z.number(), text: z.string() }),
  /** Context blocks moved to long-term memory (stored: false when the memory is unavailable: the journal still has them). */
  z.object({
    ...envelope,
    type: z.literal('memory.paged-out'),
    pid: z.number(),
    blocks: z.array(z.object({ blockId: z.string(), tokens: z.number(), summary: z.string() })),
    durationMs: z.number(),
    kvEraseMs: z.number(),
    stored: z.boolean(),
    error: z.string().optional(),
  }),
  z.object({
    ...envelope,
    type: z.literal('memory.paged-in'),
    pid: z.number(),
    blocks: z.array(z.object({ blockId: z.string(), agentId: z.string(), tokens: z.number(), score: z.number() })),
    durationMs: z.number(),
  }),
  z.object({
    ...envelope,
    type: z.literal('memory.layout'),
    pid: z.number(),
    regions: z.object({ system: z.number(), working: z.number(), recall: z.number(), fifo: z.number(), summary: z.number() }),
    contextSize: z.number(),
    pagedOutBlocks: z.number(),
    pagedOutTokens: z.number(),
  }),
  z.object({ ...envelope, type: z.literal('memory.status'), available: z.boolean(), reason: z.string().nullable() }),
  /** A core (local model or remote engine) was added, changed health or load, or was removed (not journaled). */
  z.object({ ...envelope, type: z.literal('core.changed'), core: CoreInfo }),
  /** Sent to one subscriber whose queue overflowed: how many events it missed. */
  z.object({ ...envelope, type: z.literal('bus.lagged'), dropped: z.number() }),
]);
export type KernelEvent = z.infer<typeof KernelEvent>;
export type KernelEventType = KernelEvent['type'];
export type KernelEventOf<T extends KernelEventType> = Extract<KernelEvent, { type: T }>;
/** An event before the bus stamps it with a sequence number and time. */
export type KernelEventBody = KernelEvent extends infer E ? (E extends KernelEvent ? Omit<E, 'seq' | 'at'> : never) : never;
