import { z } from 'zod';
import { ErrorPayload } from './errors.js';
import { KernelEvent } from './event.contract.js';
import { AgentManifest } from './manifest.contract.js';
import { KernelInfo, ModelInfo } from './model.contract.js';
import { DownloadProgress, InstalledModel, ModelsOverview } from './model-manager.contract.js';
import { Nice, PriorityClass, ProcessInfo } from './process.contract.js';
import { ToolManifest } from './tool.contract.js';
import { TranscriptEntry } from './transcript.contract.js';
import { InterruptBinding, InterruptStats } from './interrupt.contract.js';
import { AuditRecord, Grant, GrantDecision, GrantRequest, GrantScope } from './sandbox.contract.js';
import { Capability } from './capability.contract.js';
import { InterruptTrigger } from './manifest.contract.js';
import { McpServerConfig, McpServerName, McpServerStatus } from './mcp.contract.js';
import { ClientToken, ClientTokenName } from './access.contract.js';
import { toolPackageApi } from './tool-package.contract.js';
import { coresApi } from './cores.contract.js';

const Pid = z.object({ pid: z.number().int().positive() }).strict();
const Empty = z.object({}).strict();
const Ok = z.object({ ok: z.literal(true) });

/**
 * The one API the renderer, the headless server and the CLI speak.
 * Each method names its params and result schema; both ends validate.
 */
export const kernelApi = {
  'kernel.info': { params: Empty, result: KernelInfo },
  'proc.list': { params: Empty, result: z.array(ProcessInfo) },
  'proc.get': { params: Pid, result: ProcessInfo },
  'proc.spawn': {
    params: z
      .object({
        /** A gallery agent id, or a whole manifest. */
        agent: z.union([z.string(), z.record(z.string(), z.unknown())]),
        task: z.string().min(1),
        priorityClass: PriorityClass.optional(),
        /** Interactive agents only: after an answer, wait for the next user message instead of exiting. */
        session: z.boolean().optional(),
      })
      .strict(),
    result: ProcessInfo,
  },
  'proc.kill': { params: Pid, result: ProcessInfo },
  'proc.suspend': { params: Pid, result: ProcessInfo },
  'proc.resume': { params: Pid, result: ProcessInfo },
  'proc.renice': {
    params: z.object({ pid: z.number().int().positive(), nice: Nice.optional(), class: PriorityClass.optional() }).strict(),
    result: ProcessInfo,
  },
  'proc.wait': {
    params: z.object({ pid: z.number().int().positive(), timeoutMs: z.number().int().positive().optional() }).strict(),
    result: ProcessInfo,
  },
  'proc.transcript': { params: Pid, result: z.array(TranscriptEntry) },
  /** Clears finished processes from the table (the given ones, or all); live ones are refused. */
  'proc.reap': {
    params: z.object({ pids: z.array(z.number().int().positive()).max(10_000).optional() }).strict(),
    result: z.object({ reaped: z.array(z.number()) }),
  },
  /** A message to a live interactive agent: delivered at its next step, which runs at interrupt priority. */
  'proc.input': { params: z.object({ pid: z.number().int().positive(), text: z.string().min(1).max(100_000) }).strict(), result: ProcessInfo },
  /** Writes the process's KV state, tokens and steps to its snapshot file (it also snapshots itself after each step). */
  'proc.snapshot': {
    params: Pid,
    result: z.object({ pid: z.number(), path: z.string(), bytes: z.number(), tokens: z.number() }),
  },
  /** Starts an agent from another's context: its attention state (kv) or its transcript (text). */
  'ipc.handoff': {
    params: z
      .object({
        from: z.number().int().positive(),
        agent: z.union([z.string(), z.record(z.string(), z.unknown())]),
        task: z.string().min(1),
        mode: z.enum(['kv', 'text']).default('kv'),
      })
      .strict(),
    result: z.object({ process: ProcessInfo, mode: z.enum(['kv', 'text']), reason: z.string().optional() }),
  },
  /** A message to an agent's mailbox, read at its next step; a full mailbox refuses (back off and retry). */
  'ipc.send': {
    params: z.object({ to: z.number().int().positive(), text: z.string().min(1).max(100_000), from: z.string().max(80).optional() }).strict(),
    result: z.object({ queued: z.number() }),
  },
  'interrupts.list': { params: Empty, result: z.array(z.object({ binding: InterruptBinding, stats: InterruptStats })) },
  'interrupts.bind': {
    params: z
      .object({ agent: z.string(), trigger: InterruptTrigger.optional(), maxPerSecond: z.number().positive().max(1000).optional() })
      .strict(),
    result: InterruptBinding,
  },
  'interrupts.unbind': { params: z.object({ bindingId: z.string() }).strict(), result: Ok },
  /** Raise a user-input interrupt for the handlers bound to it, or abort a process. */
  'interrupts.raise': {
    params: z.discriminatedUnion('source', [
      z.object({ source: z.literal('user-input'), text: z.string().min(1).max(100_000) }).strict(),
      z.object({ source: z.literal('abort'), pid: z.number().int().positive() }).strict(),
    ]),
    result: z.object({ dispatched: z.array(z.number()), coalesced: z.number() }),
  },
  'grants.list': { params: Empty, result: z.array(Grant) },
  /** A grant made by the user ahead of any request (the install dialog, `amk grants add`, settings). */
  'grants.add': {
    params: z.object({ agentId: z.string().min(1), tool: z.string().min(1).default('*'), capability: Capability, scope: GrantScope }).strict(),
    result: Grant,
  },
  'grants.revoke': { params: z.object({ grantId: z.string() }).strict(), result: Ok },
  'grants.pending': { params: Empty, result: z.array(GrantRequest) },
  'grants.decide': { params: z.object({ requestId: z.string(), decision: GrantDecision }).strict(), result: GrantRequest },
  /** This connection answers grant requests (a UI, `amk grants watch`) until it closes. */
  'grants.attach': { params: Empty, result: Ok },
  'audit.query': {
    params: z
      .object({
        pid: z.number().int().positive().optional(),
        agentId: z.string().optional(),
        name: z.string().optional(),
        outcome: AuditRecord.shape.outcome.optional(),
        kind: AuditRecord.shape.kind.optional(),
        afterSeq: z.number().int().nonnegative().optional(),
        limit: z.number().int().positive().max(5000).optional(),
      })
      .strict(),
    result: z.array(AuditRecord),
  },
  'audit.verify': { params: Empty, result: z.object({ ok: z.boolean(), records: z.number(), problem: z.string().nullable() }) },
  /** An agent's paged-out memory: the latest blocks, or the best matches for a query (hybrid search). */
  'memory.blocks': {
    params: z.object({ agentId: z.string().min(1), query: z.string().max(500).optional(), limit: z.number().int().positive().max(500).default(50) }).strict(),
    result: z.array(
      z.object({ blockId: z.string(), role: z.string(), text: z.string(), summary: z.string(), tokens: z.number(), pagedAt: z.number(), score: z.number().nullable() }),
    ),
  },
  'gallery.list': { params: Empty, result: z.array(AgentManifest) },
  'tools.list': { params: Empty, result: z.array(ToolManifest) },
  ...toolPackageApi,
  ...coresApi,
  /** External MCP servers (user-facing only: no agent or MCP client reaches these). */
  'mcp.servers.list': { params: Empty, result: z.array(McpServerStatus) },
  /**
   * Registers a server, or replaces the one with that name, and starts it: the status says whether it came up.
   * A server is a native command run with the user's rights: the user is asked (the UI, `amk grants watch`)
   * unless the call says the user already approved it (`approved: true`, `amk mcp-servers add --yes`). Audited.
   */
  'mcp.servers.add': { params: McpServerConfig.extend({ approved: z.literal(true).optional() }), result: McpServerStatus },
  'mcp.servers.remove': { params: z.object({ name: McpServerName }).strict(), result: Ok },
  /** MCP clients' tokens (administrator only: a client token reaches /mcp alone). Never the secrets. */
  'mcp.tokens.list': { params: Empty, result: z.array(ClientToken) },
  /** A new client token: the secret is in this answer only (stored hashed). */
  'mcp.tokens.create': { params: z.object({ name: ClientTokenName }).strict(), result: z.object({ token: ClientToken, secret: z.string() }) },
  /** Revokes a client token: its sessions end, and it is refused from then on. */
  'mcp.tokens.revoke': { params: z.object({ name: z.string().min(1).max(40) }).strict(), result: Ok },
  /** The models screen: catalogue, installed files, downloads under way, the model in use and the GPU. */
  'models.list': { params: Empty, result: ModelsOverview },
  /** Starts (or joins) the download of a catalogue model in the background; progress comes as model.download events. */
  'models.download': { params: z.object({ id: z.string().min(1) }).strict(), result: DownloadProgress },
  /** Stops a download; the partial file is kept, so the next download resumes it. */
  'models.cancel': { params: z.object({ id: z.string().min(1) }).strict(), result: Ok },
  /** Copies a GGUF from a path on the kernel's machine into the models folder, after checking its header. */
  'models.import': { params: z.object({ path: z.string().min(1).max(4096) }).strict(), result: InstalledModel },
  'models.delete': { params: z.object({ file: z.string().min(1).max(255) }).strict(), result: Ok },
  /** Loads an installed model in place of the current one (refused while agents are live) and remembers it as the default. */
  'models.load': { params: z.object({ file: z.string().min(1).max(255) }).strict(), result: ModelInfo },
  /** Starts the event stream on this connection. */
  'events.subscribe': { params: Empty, result: Ok },
} as const;

export type KernelApi = typeof kernelApi;
export type KernelMethod = keyof KernelApi;
export type KernelParams<M extends KernelMethod> = z.input<KernelApi[M]['params']>;
export type KernelResult<M extends KernelMethod> = z.infer<KernelApi[M]['result']>;

/** What the kernel's handler of `M` receives: the params after parsing (defaults filled in). */
export type KernelHandlerParams<M extends KernelMethod> = z.output<KernelApi[M]['params']>;
/** What the kernel's handler of `M` may return: anything its result schema parses. */
export type KernelHandlerResult<M extends KernelMethod> = z.input<KernelApi[M]['result']>;
/**
 * The kernel's handler of one method, derived from the contract (as Actual Budget derives its
 * handlers from one type), so a handler that returns the wrong shape does not compile.
 */
export type KernelHandler<M extends KernelMethod> = (params: KernelHandlerParams<M>) => KernelHandlerResult<M> | Promise<KernelHandlerResult<M>>;

export function isKernelMethod(name: string): name is KernelMethod {
  return Object.hasOwn(kernelApi, name);
}

export const ClientMessage = z
  .object({ id: z.number().int().nonnegative(), method: z.string(), params: z.unknown().optional() })
  .strict();
export type ClientMessage = z.infer<typeof ClientMessage>;

export const ServerMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('result'), id: z.number(), result: z.unknown() }),
  z.object({ kind: z.literal('error'), id: z.number().nullable(), error: ErrorPayload }),
  z.object({ kind: z.literal('event'), event: KernelEvent }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** What any transport (WebSocket, Electron IPC, in-process) offers a client. */
export interface KernelClient {
  call<M extends KernelMethod>(method: M, params: KernelParams<M>): Promise<KernelResult<M>>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: KernelEvent) => void): () => void;
  close(): void;
}
