import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentManifest, InterruptBinding, InterruptTrigger, KernelEvent, KernelInfo, ModelInfo, PriorityClass, ProcessInfo, ToolManifest, TranscriptEntry } from '../../src-shared/index.js';
import { isExternalAgentId } from '../../src-shared/index.js';
import { ApiRegistry } from './core/api-registry.js';
import type { AuditLog } from './core/audit-log.js';
import { lockDataDir } from './core/data-dir-lock.js';
import { DisposableStore, toDisposable, type Disposable } from './core/disposable.js';
import { EventBus } from './core/event-bus.js';
import { journalStatus, journalWarning, openJournal, type OpenedJournal } from './core/journal-boot.js';
import { KernelError } from './core/kernel-error.js';
import { ProcessTable } from './core/process-table.js';
import { SyscallDispatcher } from './core/syscall-dispatcher.js';
import { syscallAuditEntry } from './core/syscall-audit.js';
import type { ClientAccess, ClientIdentity } from './access/index.js';
import { bindHandler, InterruptController, WebhookListener } from './interrupts/index.js';
import { handoffProcess, type HandoffContext, type HandoffMode } from './ipc/index.js';
import type { ExternalProcess, McpClients } from './mcp/index.js';
import { memoryBlocks } from './memory/index.js';
import type { ModelLibrary } from './models/index.js';
import { AgentManifests, ProcessManager, recoverProcesses, type RecoveryReport } from './process/index.js';
import { authorizeNeeds, type Sandbox } from './sandbox/index.js';
import type { ToolPackages } from './tool-packages/index.js';
import { ToolRegistry } from './tools/index.js';
import { DEFAULT_SCHEDULER, type KernelConfig } from './kernel-config.js';
import { openSubsystems, registerSubsystems, type Subsystems } from './kernel-subsystems.js';
import { ModelRuntime } from './model-runtime.js';

export { DEFAULT_SCHEDULER, type KernelConfig, type SchedulerConfig } from './kernel-config.js';

export interface BootReport extends RecoveryReport {
  /** The first skipped journal lines with their reason; `journalSkippedCount` counts them all. */
  journalSkippedLines: { line: number; reason: string }[];
  journalSkippedCount: number;
  galleryErrors: { file: string; message: string }[];
  /** Interrupt bindings from the journal that could not be armed again, with the reason. */
  interruptErrors: string[];
}

/**
 * The composition root: it opens the subsystems in order, wires them to each other, and lets each
 * register its syscalls and API methods. Its other public methods delegate (CLI, MCP, tests).
 */
export class Kernel implements Disposable {
  readonly bus = new EventBus();
  readonly table = new ProcessTable();
  readonly tools = new ToolRegistry();
  readonly dispatcher = new SyscallDispatcher(this.bus, (pid, call, raw, response, durationMs) =>
    this.parts?.audit.append(syscallAuditEntry(pid, this.table.has(pid) ? this.table.manifest(pid).id : null, call, raw, response, durationMs)),
  );
  /** Every API method's handler, registered by its subsystem; `handleKernelRequest` dispatches. */
  readonly api = new ApiRegistry();
  readonly report: BootReport = { journalSkippedLines: [], journalSkippedCount: 0, recovery: [], galleryErrors: [], recovered: [], interruptErrors: [] };
  private parts: Subsystems | null = null;
  private readonly store = new DisposableStore();
  private readonly manifests = new AgentManifests(this.tools);
  private readonly model: ModelRuntime;
  private readonly processes: ProcessManager;
  private readonly startedAt = Date.now();
  private journal: OpenedJournal | null = null;
  private readonly webhook = new WebhookListener();
  private readonly warnings: string[] = [];
  readonly interrupts = new InterruptController(
    {
      spawnHandler: (agentId, task) => this.spawn(agentId, task, 'realtime').pid,
      onExit: (pid, listener) => {
        const stop = this.bus.on((event) => {
          if (event.type === 'proc.exited' && event.pid === pid) {
            stop();
            listener();
          }
        });
      },
      abort: (pid, reason) => this.kill(pid, reason),
      emit: (body) => this.bus.emit(body),
    },
    this.webhook,
  );

  private constructor(readonly config: KernelConfig) {
    this.model = new ModelRuntime({
      config,
      emit: (body) => this.bus.emit(body),
      subscribe: (listener) => this.bus.on(listener),
      warn: (text) => this.warnings.push(text),
      onServices: (services) => (services ? this.parts?.cores.attach(services.llm, services.scheduler) : this.parts?.cores.detach()),
    });
    this.processes = new ProcessManager({
      bus: this.bus,
      table: this.table,
      tools: this.tools,
      dispatcher: this.dispatcher,
      model: this.model,
      manifests: this.manifests,
      snapshotEverySteps: config.snapshotEverySteps ?? 1,
      warm: (tools) => {
        this.sandbox.provider.warm(tools);
        this.toolPackages.provider.warm(tools);
      },
      authorize: (operation, needs, args, context) =>
        authorizeNeeds({ grants: this.sandbox.grants, broker: this.sandbox.broker, audit: this.audit }, { name: operation }, needs, args, context),
    });
  }

  /** `observe` sees every event from the first, the boot's own included (a model loading, say). */
  static async boot(config: KernelConfig, observe?: (event: KernelEvent) => void): Promise<Kernel> {
    const kernel = new Kernel(config);
    if (observe) kernel.bus.on(observe);
    try {
      await kernel.start();
    } catch (error) {
      await kernel.dispose();
      throw error;
    }
    return kernel;
  }

  private async start(): Promise<void> {
    const { config, bus } = this;
    mkdirSync(config.dataDir, { recursive: true });
    this.store.add(lockDataDir(config.dataDir));
    const opened = openJournal(join(config.dataDir, 'journal', 'events.jsonl'), this.table, config.journal);
    this.journal = opened;
    this.report.journalSkippedLines = opened.skippedLines;
    this.report.journalSkippedCount = opened.skippedCount;
    const skippedWarning = journalWarning(opened);
    if (skippedWarning) this.warnings.push(skippedWarning);
    // Numbering goes on after the highest sequence number ever written, never reusing one.
    bus.resumeSequence(opened.projection.lastSeq);
    const journal = this.store.add(opened.journal);
    // The table first, so that every other listener sees the state the event produced.
    this.store.add(toDisposable(bus.on((event) => opened.projection.apply(event))));
    this.store.add(toDisposable(bus.on((event) => journal.append(event))));
    this.store.add(bus);

    const warnings = this.warnings;
    const modelState = () => ({ inUse: this.model.inUse, loading: this.model.loading });
    this.parts = await openSubsystems({ config, store: this.store, tools: this.tools, emit: (body) => bus.emit(body), warnings, modelState });
    this.report.galleryErrors = await this.manifests.load(config.galleryDir);
    warnings.push(...this.report.galleryErrors.map((error) => `gallery: ${error.message}`));
    const { api, dispatcher, table, tools, processes, manifests, interrupts } = this;
    const wiring = { api, dispatcher, bus, table, tools, processes, manifests, interrupts, handoff: this.handoffContext() };
    registerSubsystems({ ...wiring, parts: this.parts, info: () => this.info(), useModel: (file) => this.useModel(file) });

    bus.emit({ type: 'kernel.started', version: config.version });
    if (config.modelPath) await this.model.load(config.modelPath);
    else this.model.explainAbsence('no model configured: download or import one in Models (amk models), or pass --model PATH (AMK_MODEL)');
    const wanted = (config.recovery ?? 'resume') === 'resume';
    const held = wanted ? `no model is loaded (${this.model.error ?? 'none configured'}): resume it once one is` : 'resume on boot is off: resume it to continue from the journal';
    await recoverProcesses({ bus, table: this.table, processes: this.processes, resume: wanted && this.model.current !== null, held, report: this.report });
    this.store.add(this.webhook);
    this.store.add(this.interrupts);
    await this.webhook.start(config.webhookPort ?? 0);
    this.restoreInterrupts([...opened.projection.bindings.values()]);
  }

  private handoffContext(): HandoffContext<ReturnType<ProcessManager['create']>['process']> {
    return {
      processes: this.processes,
      resolveManifest: (agent) => this.resolveManifest(agent),
      processInfo: (pid) => this.table.get(pid),
      transcript: (pid) => this.table.transcript(pid),
      emit: (body) => this.bus.emit(body),
    };
  }

  /** Bindings live in the journal (its projection): re-arm those bound and never unbound. */
  private restoreInterrupts(bindings: readonly InterruptBinding[]): void {
    for (const binding of bindings) {
      try {
        this.interrupts.bind(binding.agentId, binding.trigger, binding.maxPerSecond, binding);
      } catch (error) {
        this.report.interruptErrors.push(`${binding.id} (${binding.agentId}): ${(error as Error).message}`);
      }
    }
  }

  private started(): Subsystems {
    if (!this.parts) throw new KernelError('INVALID_STATE', 'the kernel has not started');
    return this.parts;
  }

  /** The models folder, catalogue and downloads. */
  get models(): ModelLibrary {
    return this.started().models;
  }
  get sandbox(): Sandbox {
    return this.started().sandbox;
  }
  /** Third-party tool packages: staging, review, install, trusted publisher keys. */
  get toolPackages(): ToolPackages {
    return this.started().toolPackages;
  }
  /** The external MCP servers the user registered (the kernel as an MCP client). */
  get mcp(): McpClients {
    return this.started().mcp;
  }
  /** MCP clients' tokens and the processes each client started. */
  get access(): ClientAccess {
    return this.started().access;
  }
  get audit(): AuditLog {
    return this.started().audit;
  }

  /**
   * Loads an installed model in place of the current one. Live agents hold KV state of the
   * current model, so it is refused while any are live; the choice is remembered for the next start.
   */
  async useModel(file: string): Promise<ModelInfo> {
    const path = this.models.manager.pathOf(file);
    // Live agents hold KV state of the loaded model; with none loaded, recovered agents hold nothing yet.
    const live = this.model.current ? this.table.live().filter((info) => !isExternalAgentId(info.agentId)) : [];
    if (live.length > 0) {
      throw new KernelError('INVALID_STATE', `${live.length} agent(s) are live on the current model (pids ${live.map((info) => info.pid).join(', ')}); stop them first`);
    }
    try {
      // An agent that just exited may still be releasing its slot or writing its snapshot.
      const info = await this.model.switchTo(path, () => this.processes.settled());
      this.models.remember(path);
      return info;
    } finally {
      await this.models.announce();
    }
  }

  info(): KernelInfo {
    const scheduler = this.config.scheduler ?? DEFAULT_SCHEDULER;
    return {
      version: this.config.version,
      dataDir: this.config.dataDir,
      startedAt: this.startedAt,
      model: this.model.current?.llm.info ?? null,
      modelError: this.model.error,
      scheduler: { policy: this.model.current?.scheduler.policyName ?? scheduler.policy, quantumTokens: scheduler.quantumTokens, swap: scheduler.swap },
      webhook: this.webhook.url ? { url: this.webhook.url, token: this.webhook.token } : null,
      warnings: [...this.warnings, ...this.report.interruptErrors, ...(this.parts?.mcp.warnings() ?? [])],
      memory: this.model.current?.memory.status ?? { available: false, reason: this.model.error ?? 'no model is loaded' },
      journal: this.journal ? journalStatus(this.journal) : { skippedLines: 0, problems: [], sizeBytes: 0, compactedAt: null },
    };
  }

  // What the CLI, the MCP server and the tests call: each delegates to the subsystem that owns it.
  resolveManifest = (agent: string | Record<string, unknown>): AgentManifest => this.manifests.resolve(agent);
  listGallery = (): AgentManifest[] => this.manifests.list();
  listTools = (): ToolManifest[] => this.tools.list();
  listProcesses = (): ProcessInfo[] => this.table.list();
  transcript = (pid: number): TranscriptEntry[] => this.table.transcript(pid);
  spawn = (agent: string | Record<string, unknown>, task: string, priorityClass?: PriorityClass, session = false): ProcessInfo => this.processes.spawn(agent, task, priorityClass, session);
  input = (pid: number, text: string): ProcessInfo => this.processes.input(pid, text);
  kill = (pid: number, reason = 'killed'): ProcessInfo => this.processes.kill(pid, reason);
  suspend = (pid: number): ProcessInfo => this.processes.suspend(pid);
  resume = (pid: number): Promise<ProcessInfo> => this.processes.resume(pid);
  snapshot = (pid: number) => this.processes.snapshot(pid);
  send = (to: number, text: string, from = 'user'): { queued: number } => this.processes.send(to, text, from);
  renice = (pid: number, change: { nice?: number; class?: PriorityClass }): ProcessInfo => this.processes.renice(pid, change);
  /** Resolves when the process exits; rejects with TIMEOUT after `timeoutMs`, or when `signal` aborts (the caller went away). */
  wait = (pid: number, timeoutMs?: number, signal?: AbortSignal): Promise<ProcessInfo> => this.processes.wait(pid, timeoutMs, signal);
  reap = (pids?: number[]): Promise<number[]> => this.processes.reap(pids);
  attachExternal = (identity: ClientIdentity, detail: string): ExternalProcess => this.processes.attachExternal(identity, detail);
  handoff = (from: number, agent: string | Record<string, unknown>, task: string, requested: HandoffMode) => handoffProcess(this.handoffContext(), from, agent, task, requested);
  bindInterrupt = (agentId: string, trigger: InterruptTrigger | undefined, maxPerSecond?: number): InterruptBinding =>
    bindHandler(this.interrupts, this.resolveManifest(agentId), trigger, maxPerSecond);
  memoryBlocks = (agentId: string, query: string | undefined, limit: number) => memoryBlocks(() => this.processes.host().memory, agentId, query, limit);

  // Narrow accessors for the transports (the server, the Electron shell): what they may reach of the subsystems.
  verifyClientToken = (secret: string) => this.access.tokens.verify(secret);
  receiveModelUpload = (file: string, body: AsyncIterable<Uint8Array>, declaredBytes?: number) => this.models.receive(file, body, declaredBytes);
  receiveToolUpload = (file: string, body: AsyncIterable<Uint8Array>, declaredBytes?: number) => this.toolPackages.receive(file, body, declaredBytes);
  attachApprover = (): (() => void) => this.sandbox.broker.attachApprover();

  /** Syncs the journal's pending lines to disk now: the last-resort handler's step before a crash exit. */
  flushJournal(): void {
    this.journal?.journal.flush();
  }

  /** Stops every process without an exit (a restart recovers them), then frees the model and the journal. */
  async dispose(): Promise<void> {
    await this.processes.halt();
    await this.model.dispose();
    await this.store.dispose();
  }
}
