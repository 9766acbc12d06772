import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AgentManifest,
  ModelInfo,
  InterruptBinding,
  InterruptTrigger,
  KernelEvent,
  SyscallResponse,
  KernelInfo,
  PriorityClass,
  ProcessInfo,
  ToolManifest,
  TranscriptEntry,
} from '../../src-shared/index.js';
import { defaultPriorityClass, EXTERNAL_AGENT_PREFIX, freshProcessInfo, isExternalAgentId, isTerminal, parseAgentManifest } from '../../src-shared/index.js';
import { lockDataDir } from './core/data-dir-lock.js';
import { DisposableStore, toDisposable, type Disposable } from './core/disposable.js';
import { EventBus } from './core/event-bus.js';
import { journalStatus, journalWarning, openJournal, type OpenedJournal } from './core/journal-boot.js';
import { KernelError } from './core/kernel-error.js';
import { MAX_JOURNAL_LINE_BYTES } from './core/journal-reader.js';
import { ProcessTable } from './core/process-table.js';
import { SyscallDispatcher } from './core/syscall-dispatcher.js';
import { InterruptController, WebhookListener } from './interrupts/index.js';
import { AgentProcess, historyFromTranscript, loadGallery, preferSnapshotTokens, unfinishedStep, validateAgentArgs, type AgentHost, type AgentOptions } from './runtime/index.js';
import { planHandoff, type HandoffMode } from './ipc/index.js';
import { ModelLibrary } from './models/index.js';
import { ToolRegistry } from './tools/index.js';
import { Sandbox } from './sandbox/index.js';
import { AuditLog, digestArgs } from './core/audit-log.js';
import { loadOrCreateKernelKey } from './core/kernel-key.js';
import { ExternalProcess, McpClients, type ExternalHost } from './mcp/index.js';
import { ToolPackages } from './tool-packages/index.js';
import { ClientAccess, type ClientIdentity } from './access/index.js';
import { authorizeNeeds } from './sandbox/index.js';
import { DEFAULT_SCHEDULER, type KernelConfig } from './kernel-config.js';
import { ModelRuntime } from './model-runtime.js';

export { DEFAULT_SCHEDULER, type KernelConfig, type SchedulerConfig } from './kernel-config.js';

export interface BootReport {
  /** The first skipped journal lines with their reason; `journalSkippedCount` counts them all. */
  journalSkippedLines: { line: number; reason: string }[];
  journalSkippedCount: number;
  /** What boot did with each process it found live in the journal. */
  recovery: { pid: number; outcome: 'resumed' | 'suspended' | 'exited'; reason: string }[];
  galleryErrors: { file: string; message: string }[];
  recovered: number[];
  /** Interrupt bindings from the journal that could not be armed again, with the reason. */
  interruptErrors: string[];
}

export class Kernel implements Disposable {
  readonly bus = new EventBus();
  readonly table = new ProcessTable();
  readonly tools = new ToolRegistry();
  readonly dispatcher = new SyscallDispatcher(this.bus, (pid, call, raw, response, durationMs) => this.auditSyscall(pid, call, raw, response, durationMs));
  private auditLog: AuditLog | null = null;
  private sandboxInstance: Sandbox | null = null;
  private mcpClients: McpClients | null = null;
  private toolPackageStore: ToolPackages | null = null;
  private clientAccess: ClientAccess | null = null;
  private readonly externals = new Set<ExternalProcess>();
  private readonly store = new DisposableStore();
  private readonly processes = new Map<number, AgentProcess>();
  private readonly running = new Set<Promise<void>>();
  private gallery = new Map<string, AgentManifest>();
  private readonly model: ModelRuntime;
  private library: ModelLibrary | null = null;
  private readonly startedAt = Date.now();
  readonly report: BootReport = { journalSkippedLines: [], journalSkippedCount: 0, recovery: [], galleryErrors: [], recovered: [], interruptErrors: [] };
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
    this.model = new ModelRuntime({ config, emit: (body) => this.bus.emit(body), warn: (text) => this.warnings.push(text) });
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
    mkdirSync(this.config.dataDir, { recursive: true });
    this.store.add(lockDataDir(this.config.dataDir));
    const opened = openJournal(join(this.config.dataDir, 'journal', 'events.jsonl'), this.table, this.config.journal);
    this.journal = opened;
    this.report.journalSkippedLines = opened.skippedLines;
    this.report.journalSkippedCount = opened.skippedCount;
    const skippedWarning = journalWarning(opened);
    if (skippedWarning) this.warnings.push(skippedWarning);
    // Numbering goes on after the highest sequence number ever written, never reusing one.
    this.bus.resumeSequence(opened.projection.lastSeq);
    const journal = this.store.add(opened.journal);
    // The table first, so that every other listener sees the state the event produced.
    this.store.add(toDisposable(this.bus.on((event) => opened.projection.apply(event))));
    this.store.add(toDisposable(this.bus.on((event) => journal.append(event))));
    this.store.add(this.bus);

    const audit = this.store.add(
      await AuditLog.open({
        path: join(this.config.dataDir, 'audit', 'audit.jsonl'),
        key: loadOrCreateKernelKey(this.config.dataDir),
        onAppend: (record) => this.bus.emit({ type: 'audit.appended', record }),
      }),
    );
    this.auditLog = audit;
    if (audit.loadProblem) this.warnings.push(`audit log: ${audit.loadProblem}`);
    const sandbox = this.store.add(
      new Sandbox({
        dataDir: this.config.dataDir,
        toolDirs: this.config.toolDirs,
        grantTimeoutMs: this.config.grantTimeoutMs ?? 60_000,
        audit,
        emit: (body) => this.bus.emit(body),
      }),
    );
    this.sandboxInstance = sandbox;
    this.warnings.push(...sandbox.warnings);
    this.tools.register(sandbox.provider);
    // Installed tools after the built-ins, so that none can take a built-in's name.
    this.toolPackageStore = this.store.add(
      new ToolPackages({
        dataDir: this.config.dataDir,
        key: loadOrCreateKernelKey(this.config.dataDir),
        registry: this.tools,
        services: { grants: sandbox.grants, broker: sandbox.broker, audit },
        toolDirs: this.config.toolDirs,
      }),
    );
    this.toolPackageStore.register();
    this.warnings.push(...this.toolPackageStore.warnings);
    this.mcpClients = this.store.add(
      new McpClients({
        dataDir: this.config.dataDir,
        version: this.config.version,
        tools: this.tools,
        services: { grants: sandbox.grants, broker: sandbox.broker, audit },
        ...(this.config.bwrapPath === undefined ? {} : { bwrapPath: this.config.bwrapPath }),
      }),
    );
    await this.mcpClients.start();
    this.clientAccess = new ClientAccess(this.config.dataDir, audit);
    if (this.clientAccess.tokens.loadProblem) this.warnings.push(this.clientAccess.tokens.loadProblem);
    this.registerSyscalls();
    const gallery = await loadGallery(this.config.galleryDir);
    this.gallery = new Map(gallery.agents.map((agent) => [agent.id, agent]));
    this.report.galleryErrors = gallery.errors;
    this.warnings.push(...gallery.errors.map((error) => `gallery: ${error.message}`));

    this.library = this.store.add(
      new ModelLibrary({
        dataDir: this.config.dataDir,
        catalogPath: this.config.catalogPath ?? null,
        gpu: this.config.gpu,
        emit: (body) => this.bus.emit(body),
        modelState: () => ({ inUse: this.model.inUse, loading: this.model.loading }),
        ...(this.config.maxUploadBytes === undefined ? {} : { maxUploadBytes: this.config.maxUploadBytes }),
      }),
    );

    this.bus.emit({ type: 'kernel.started', version: this.config.version });
    if (this.config.modelPath) await this.model.load(this.config.modelPath);
    else this.model.explainAbsence('no model configured: download or import one in Models (amk models), or pass --model PATH (AMK_MODEL)');
    await this.recoverProcesses();
    this.store.add(this.webhook);
    this.store.add(this.interrupts);
    await this.webhook.start(this.config.webhookPort ?? 0);
    this.restoreInterrupts([...opened.projection.bindings.values()]);
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

  bindInterrupt(agentId: string, trigger: InterruptTrigger | undefined, maxPerSecond?: number): InterruptBinding {
    const manifest = this.resolveManifest(agentId);
    if (manifest.kind !== 'interrupt-handler') {
      throw new KernelError('INVALID_REQUEST', `agent "${agentId}" is ${manifest.kind}, not an interrupt-handler`);
    }
    const chosen = trigger ?? manifest.trigger;
    if (!chosen) throw new KernelError('INVALID_REQUEST', `agent "${agentId}" has no trigger and none was given`);
    try {
      return this.interrupts.bind(agentId, chosen, maxPerSecond);
    } catch (error) {
      if (error instanceof KernelError) throw error;
      throw new KernelError('INVALID_REQUEST', `cannot arm ${chosen.source} trigger: ${(error as Error).message}`);
    }
  }

  /** A user message to a live agent; interactive agents take it at their next step, at interrupt priority. */
  input(pid: number, text: string): ProcessInfo {
    this.liveInfo(pid);
    const process = this.requireProcess(pid);
    process.deliver(text);
    return this.table.get(pid);
  }

  /** The models folder, catalogue and downloads. */
  get models(): ModelLibrary {
    if (!this.library) throw new KernelError('INVALID_STATE', 'the kernel has not started');
    return this.library;
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
      const info = await this.model.switchTo(path, async () => void (await Promise.allSettled([...this.running])));
      this.models.remember(path);
      return info;
    } finally {
      await this.models.announce();
    }
  }

  /**
   * Processes that were live when the kernel last stopped come back from their snapshot and the
   * journal: resumed at once (the default), or suspended until someone resumes them.
   */
  private async recoverProcesses(): Promise<void> {
    const wanted = (this.config.recovery ?? 'resume') === 'resume';
    const resume = wanted && this.model.current !== null;
    const held = wanted ? `no model is loaded (${this.model.error ?? 'none configured'}): resume it once one is` : 'resume on boot is off: resume it to continue from the journal';
    for (const info of this.table.live()) {
      if (isExternalAgentId(info.agentId)) {
        // An MCP client's session does not survive the kernel: it reconnects as a new process.
        const reason = 'the MCP session ended when the kernel stopped';
        this.bus.emit({ type: 'proc.exited', pid: info.pid, state: 'exited', exit: { code: 0, reason } });
        this.report.recovery.push({ pid: info.pid, outcome: 'exited', reason });
        continue;
      }
      // The step a restart cut short is generated again: its partial output must not run into the new one.
      const open = unfinishedStep(this.table.transcript(info.pid));
      if (open !== null) this.bus.emit({ type: 'proc.step-interrupted', pid: info.pid, step: open, reason: 'cut short by a kernel restart; generated again' });
      this.bus.emit({ type: 'proc.state', pid: info.pid, state: 'suspended', slot: null, reason: resume ? 'recovered after a kernel restart' : `recovered after a kernel restart: ${held}` });
      this.report.recovered.push(info.pid);
      if (!resume) {
        this.report.recovery.push({ pid: info.pid, outcome: 'suspended', reason: held });
        continue;
      }
      try {
        await this.resume(info.pid);
        this.report.recovery.push({ pid: info.pid, outcome: 'resumed', reason: 'resumed from its snapshot and the journal' });
      } catch (error) {
        // One process that cannot come back (a tool gone, say) stays suspended; the boot goes on.
        this.report.recovery.push({ pid: info.pid, outcome: 'suspended', reason: `could not resume: ${(error as Error).message}` });
      }
    }
  }

  private registerSyscalls(): void {
    this.dispatcher.register('tool.call', async (pid, request, signal) => {
      const manifest = this.table.manifest(pid);
      // An external agent (MCP client) has no grammar to bound it: it may ask for any tool, each behind its grants.
      if (!manifest.tools.includes(request.tool) && !isExternalAgentId(manifest.id)) {
        throw new KernelError('UNKNOWN_TOOL', `tool "${request.tool}" is not among ${manifest.id}'s tools`, { tool: request.tool });
      }
      validateAgentArgs(manifest, request.tool, request.args, this.tools);
      return this.tools.invoke(request.tool, request.args, {
        pid,
        agentId: manifest.id,
        agentName: manifest.name,
        policy: manifest.policy,
        signal,
        syscall: (inner) => this.dispatcher.dispatch(pid, inner, signal),
        onBlocked: (reason) => {
          if (isTerminal(this.table.get(pid).state)) return;
          this.bus.emit({ type: 'proc.state', pid, state: reason ? 'blocked' : 'waiting', slot: null, ...(reason ? { reason } : {}) });
        },
      });
    });
    this.dispatcher.register('memory.search', async (pid, request) => {
      const own = this.table.manifest(pid).id;
      const agent = request.agent ?? own;
      if (agent !== own && !this.sandbox.grants.list().some((g) => g.effect !== 'deny' && g.agentId === own && g.capability === `memory:${agent}`)) {
        throw new KernelError('CAPABILITY_DENIED', `${own} may not read ${agent}'s memory: that needs a memory:${agent} grant`);
      }
      const memory = this.host().memory;
      if (!memory.status.available) throw new KernelError('MEMORY_UNAVAILABLE', `long-term memory is unavailable: ${memory.status.reason}`);
      const found = await memory.search([agent], request.query, request.k);
      return { results: found.map((b) => ({ blockId: b.blockId, agent: b.agentId, role: b.role, text: b.text, score: b.score, pagedAt: b.pagedAt })) };
    });
    this.dispatcher.register('ipc.send', (pid, request) => {
      const sender = this.table.get(pid);
      // The newest live process of the agent gets it: agents know each other by id, not by pid.
      const receiver = this.table
        .live()
        .filter((info) => info.agentId === request.to && info.pid !== pid)
        .at(-1);
      if (!receiver) throw new KernelError('UNKNOWN_PROCESS', `no live process of agent "${request.to}" to send to; it must be running (or waiting) to read messages`);
      return Promise.resolve({ to: receiver.pid, ...this.send(receiver.pid, request.text, `${sender.name} (pid ${pid})`) });
    });
    this.dispatcher.register('memory.pin', (pid, request) => {
      this.requireProcess(pid).setWorkingMemory(request.text);
      return Promise.resolve({ pinned: request.text.length });
    });
    this.dispatcher.register('proc.exit', (pid, request) => {
      this.requireProcess(pid).exit('exited', { code: 0, reason: 'finished', answer: request.answer });
      return Promise.resolve({ exited: true });
    });
  }

  get sandbox(): Sandbox {
    if (!this.sandboxInstance) throw new KernelError('INTERNAL', 'the sandbox is not started');
    return this.sandboxInstance;
  }

  /** Third-party tool packages: staging, review, install, trusted publisher keys. */
  get toolPackages(): ToolPackages {
    if (!this.toolPackageStore) throw new KernelError('INTERNAL', 'the tool packages are not started');
    return this.toolPackageStore;
  }

  /** The external MCP servers the user registered (the kernel as an MCP client). */
  get mcp(): McpClients {
    if (!this.mcpClients) throw new KernelError('INTERNAL', 'the MCP clients are not started');
    return this.mcpClients;
  }

  /** MCP clients' tokens and the processes each client started. */
  get access(): ClientAccess {
    if (!this.clientAccess) throw new KernelError('INTERNAL', 'client access is not started');
    return this.clientAccess;
  }

  /**
   * An agent running outside the kernel (an MCP client) enters the process table, as the identity
   * its token gave it; its tool calls are `tool.call` syscalls of that process. `close()` exits it.
   */
  attachExternal(identity: ClientIdentity, detail: string): ExternalProcess {
    const host: ExternalHost = {
      bus: this.bus,
      table: this.table,
      dispatcher: this.dispatcher,
      toolNames: () => this.tools.list().map((tool) => tool.name),
      authorize: (operation, needs, args, context) =>
        authorizeNeeds({ grants: this.sandbox.grants, broker: this.sandbox.broker, audit: this.audit }, { name: operation }, needs, args, context),
    };
    const external = new ExternalProcess(host, identity, detail, (ended) => this.externals.delete(ended));
    this.externals.add(external);
    return external;
  }

  get audit(): AuditLog {
    if (!this.auditLog) throw new KernelError('INTERNAL', 'the audit log is not open');
    return this.auditLog;
  }

  private auditSyscall(pid: number, call: string, raw: unknown, response: SyscallResponse, durationMs: number): void {
    const agentId = this.table.has(pid) ? this.table.manifest(pid).id : null;
    this.auditLog?.append({
      pid,
      agentId,
      kind: 'syscall',
      name: call === 'tool.call' && typeof raw === 'object' && raw && 'tool' in raw ? `tool.call ${String(raw.tool)}` : call,
      argsDigest: digestArgs(raw),
      capability: null,
      outcome: response.ok ? 'ok' : response.error.code === 'CAPABILITY_DENIED' ? 'denied' : response.error.code === 'TIMEOUT' ? 'timeout' : 'error',
      reason: response.ok ? 'completed' : `${response.error.code}: ${response.error.message}`,
      resultBytes: response.ok ? (JSON.stringify(response.value) ?? '').length : null,
      durationMs,
    });
  }

  private host(): AgentHost {
    const { llm, scheduler, snapshots, memory } = this.model.require();
    return {
      llm,
      scheduler,
      dispatcher: this.dispatcher,
      bus: this.bus,
      tools: this.tools,
      snapshots,
      memory,
      snapshotEverySteps: this.config.snapshotEverySteps ?? 1,
    };
  }

  private requireProcess(pid: number): AgentProcess {
    const process = this.processes.get(pid);
    if (!process) throw new KernelError('UNKNOWN_PROCESS', `process ${pid} is not running in this kernel`);
    return process;
  }

  private launch(process: AgentProcess): void {
    this.processes.set(process.pid, process);
    const run = process.run().finally(async () => {
      this.running.delete(run);
      this.processes.delete(process.pid);
      if (process.isTerminal) await this.model.current?.scheduler.forget(process.pid);
    });
    this.running.add(run);
  }

  resolveManifest(agent: string | Record<string, unknown>): AgentManifest {
    let manifest: AgentManifest;
    if (typeof agent === 'string') {
      const known = this.gallery.get(agent);
      if (!known) throw new KernelError('UNKNOWN_AGENT', `no agent "${agent}" in the gallery (${[...this.gallery.keys()].join(', ')})`);
      manifest = known;
    } else {
      const parsed = parseAgentManifest(agent);
      if (!parsed.ok) throw new KernelError('INVALID_MANIFEST', parsed.message);
      manifest = parsed.manifest;
    }
    if (isExternalAgentId(manifest.id)) {
      throw new KernelError('INVALID_MANIFEST', `agent ids starting with ${EXTERNAL_AGENT_PREFIX} are reserved for MCP clients (their grants are theirs)`);
    }
    const unknown = manifest.tools.filter((tool) => !this.tools.has(tool));
    if (unknown.length > 0) {
      throw new KernelError('UNKNOWN_TOOL', `agent "${manifest.id}" names unknown tool(s): ${unknown.join(', ')}`, { tools: unknown });
    }
    return manifest;
  }

  spawn(agent: string | Record<string, unknown>, task: string, priorityClass?: PriorityClass, session = false): ProcessInfo {
    const { info, process } = this.createProcess(this.resolveManifest(agent), task, priorityClass, session, {});
    this.launch(process);
    return this.table.get(info.pid);
  }

  /** Enters a process in the table (`proc.spawned`) and builds its runtime; `launch` starts it. */
  private createProcess(manifest: AgentManifest, task: string, priorityClass: PriorityClass | undefined, session: boolean, extra: Pick<AgentOptions, 'prefix'>) {
    // Its proc.spawned line must come back on boot (the journal reader skips longer lines): a larger
    // manifest or task (an MCP client's, say) would make the process vanish at the next restart.
    const bytes = Buffer.byteLength(JSON.stringify(manifest)) + Buffer.byteLength(JSON.stringify(task));
    if (bytes > MAX_JOURNAL_LINE_BYTES / 2) {
      throw new KernelError('INVALID_REQUEST', `the manifest and task of "${manifest.id}" take ${bytes} bytes as JSON: at most ${MAX_JOURNAL_LINE_BYTES / 2} (shorten the task, prompt or tool arguments)`);
    }
    const host = this.host();
    const pid = this.table.nextPid();
    const priority = {
      class: priorityClass ?? manifest.priority?.class ?? defaultPriorityClass(manifest.kind),
      nice: manifest.priority?.nice ?? 0,
    };
    const info = freshProcessInfo(pid, manifest, task, priority);
    this.bus.emit({ type: 'proc.spawned', process: info, manifest });
    this.sandbox.provider.warm(manifest.tools);
    this.toolPackages.provider.warm(manifest.tools);
    return { info, process: new AgentProcess(host, pid, manifest, task, priority, { session, ...extra }) };
  }

  kill(pid: number, reason = 'killed'): ProcessInfo {
    const info = this.liveInfo(pid);
    const process = this.processes.get(pid);
    if (process) process.kill(reason);
    else this.bus.emit({ type: 'proc.exited', pid, state: 'exited', exit: { code: 137, reason } });
    return this.table.get(info.pid);
  }

  suspend(pid: number): ProcessInfo {
    this.liveInfo(pid);
    const process = this.requireProcess(pid);
    process.suspend();
    return this.table.get(pid);
  }

  /**
   * Resumes a suspended process, or restarts a recovered one: its steps from the journal, its KV
   * state from its snapshot when that checks out (otherwise it re-prefills, and says why).
   */
  async resume(pid: number): Promise<ProcessInfo> {
    const info = this.liveInfo(pid);
    const process = this.processes.get(pid);
    if (process) {
      if (!process.isSuspended) throw new KernelError('INVALID_STATE', `process ${pid} is ${info.state}, not suspended`);
      process.resume();
      return this.table.get(pid);
    }
    if (isExternalAgentId(info.agentId)) throw new KernelError('INVALID_STATE', `process ${pid} is an MCP client running outside the kernel: it cannot be suspended or resumed`);
    const host = this.host();
    let history = historyFromTranscript(this.table.transcript(pid), host.llm);
    const snapshot = await host.snapshots.read(pid);
    if (typeof snapshot === 'string') {
      if (host.snapshots.has(pid)) this.bus.emit({ type: 'proc.restore-refused', pid, reason: `${snapshot}; re-prefilling from the journal` });
    } else {
      history = preferSnapshotTokens(history, snapshot.meta.steps, snapshot.meta.leadingInputs);
      await host.scheduler.adopt(pid, info.priority, snapshot.path, snapshot.header.stateBytes);
    }
    const manifest = this.table.manifest(pid);
    this.launch(new AgentProcess(host, pid, manifest, info.task, info.priority, { session: manifest.kind === 'interactive', history, counters: info.counters }));
    this.bus.emit({ type: 'proc.state', pid, state: 'ready', slot: null, reason: 'resumed' });
    return this.table.get(pid);
  }

  /** Writes a live, idle process's KV state, tokens and steps to its snapshot file now. */
  async snapshot(pid: number): Promise<{ pid: number; path: string; bytes: number; tokens: number }> {
    this.liveInfo(pid);
    const process = this.requireProcess(pid);
    if (!(await process.snapshotNow())) {
      throw new KernelError('INVALID_STATE', `process ${pid} has no idle KV state in a slot to snapshot now (it is decoding, swapped out, or has not run); it snapshots itself after each step`);
    }
    const taken = await this.host().snapshots.read(pid);
    if (typeof taken === 'string') throw new KernelError('KV_STATE_INVALID', taken);
    return { pid, path: taken.path, bytes: taken.header.stateBytes, tokens: taken.header.tokenCount };
  }

  /** A text message to a live agent's mailbox, delivered at its next step. */
  send(to: number, text: string, from = 'user'): { queued: number } {
    this.liveInfo(to);
    const queued = this.requireProcess(to).deliver(`Message from ${from}: ${text}`, false);
    this.bus.emit({ type: 'ipc.message', from, to, text });
    return { queued };
  }

  /**
   * Starts `agent` from the context of process `from`: in kv mode from its attention state (its
   * snapshot, loaded into the receiver's slot: nothing of the sender is prefilled again), in text
   * mode from its transcript. An incompatible state falls back to text, with the reason.
   */
  async handoff(from: number, agent: string | Record<string, unknown>, task: string, requested: HandoffMode): Promise<{ process: ProcessInfo; mode: HandoffMode; reason?: string }> {
    const sender = this.table.get(from);
    const manifest = this.resolveManifest(agent);
    const host = this.host();
    const roomNeeded = manifest.model.maxTokensPerStep * 2 + host.llm.tokenize(`${manifest.systemPrompt}\n${task}`).length + 256;
    const plan = await planHandoff(host.snapshots, from, requested, this.table.transcript(from), roomNeeded, host.llm.info.contextSize);
    const receiverTask = plan.mode === 'text' ? `Context handed over from ${sender.name} (pid ${from}):\n${plan.text}\n\nYour task: ${task}` : task;
    const { info, process } = this.createProcess(manifest, receiverTask, undefined, false, plan.mode === 'kv' ? { prefix: plan.snapshot!.meta.tokens } : {});
    if (plan.snapshot) await host.scheduler.adopt(info.pid, info.priority, plan.snapshot.path, plan.snapshot.header.stateBytes);
    this.launch(process);
    this.bus.emit({
      type: 'ipc.handoff',
      from,
      to: info.pid,
      requested,
      mode: plan.mode,
      tokens: plan.snapshot?.meta.tokens.length ?? 0,
      ...(plan.reason ? { reason: plan.reason } : {}),
    });
    return { process: this.table.get(info.pid), mode: plan.mode, ...(plan.reason ? { reason: plan.reason } : {}) };
  }

  renice(pid: number, change: { nice?: number; class?: PriorityClass }): ProcessInfo {
    const info = this.liveInfo(pid);
    const priority = { class: change.class ?? info.priority.class, nice: change.nice ?? info.priority.nice };
    const process = this.processes.get(pid);
    if (process) process.priority = priority;
    this.model.current?.scheduler.reprioritize(pid, priority);
    this.bus.emit({ type: 'proc.priority', pid, priority });
    return this.table.get(pid);
  }

  wait(pid: number, timeoutMs?: number): Promise<ProcessInfo> {
    const info = this.table.get(pid);
    if (isTerminal(info.state)) return Promise.resolve(info);
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              stop();
              reject(new KernelError('TIMEOUT', `process ${pid} did not exit within ${timeoutMs} ms`));
            }, timeoutMs);
      const stop = this.bus.on((event) => {
        if (event.type === 'proc.exited' && event.pid === pid) {
          stop();
          clearTimeout(timer);
          resolve(this.table.get(pid));
        }
      });
    });
  }

  private liveInfo(pid: number): ProcessInfo {
    const info = this.table.get(pid);
    if (isTerminal(info.state)) throw new KernelError('INVALID_STATE', `process ${pid} has already ${info.state}`);
    return info;
  }

  info(): KernelInfo {
    return {
      version: this.config.version,
      dataDir: this.config.dataDir,
      startedAt: this.startedAt,
      model: this.model.current?.llm.info ?? null,
      modelError: this.model.error,
      scheduler: {
        policy: this.model.current?.scheduler.policyName ?? (this.config.scheduler ?? DEFAULT_SCHEDULER).policy,
        quantumTokens: (this.config.scheduler ?? DEFAULT_SCHEDULER).quantumTokens,
        swap: (this.config.scheduler ?? DEFAULT_SCHEDULER).swap,
      },
      webhook: this.webhook.url ? { url: this.webhook.url, token: this.webhook.token } : null,
      warnings: [...this.warnings, ...this.report.interruptErrors, ...(this.mcpClients?.warnings() ?? [])],
      memory: this.model.current?.memory.status ?? { available: false, reason: this.model.error ?? 'no model is loaded' },
      journal: this.journal ? journalStatus(this.journal) : { skippedLines: 0, problems: [], sizeBytes: 0, compactedAt: null },
    };
  }

  listProcesses(): ProcessInfo[] {
    return this.table.list();
  }

  /**
   * Clears finished processes from the table: the given ones (each must have finished) or all
   * that have. The highest pid is kept, so pids are never reused.
   */
  async reap(pids?: number[]): Promise<number[]> {
    const chosen = pids ?? this.table.list().filter((info) => isTerminal(info.state)).map((info) => info.pid);
    for (const pid of chosen) {
      if (!isTerminal(this.table.get(pid).state)) throw new KernelError('INVALID_STATE', `process ${pid} is still ${this.table.get(pid).state}; kill it first`);
    }
    if (chosen.length === 0) return [];
    this.bus.emit({ type: 'proc.reaped', pids: chosen });
    await Promise.all(chosen.map((pid) => this.model.current?.snapshots.remove(pid)));
    return chosen;
  }

  transcript(pid: number): TranscriptEntry[] {
    return this.table.transcript(pid);
  }

  /** An agent's paged-out blocks, newest last, or the best matches for a query (the UI's memory search). */
  async memoryBlocks(agentId: string, query: string | undefined, limit: number): Promise<{ blockId: string; role: string; text: string; summary: string; tokens: number; pagedAt: number; score: number | null }[]> {
    const memory = this.host().memory;
    if (!memory.status.available) throw new KernelError('MEMORY_UNAVAILABLE', `long-term memory is unavailable: ${memory.status.reason}`);
    const blocks = query ? await memory.search([agentId], query, limit) : (await memory.list(agentId)).slice(-limit);
    return blocks.map((b) => ({ blockId: b.blockId, role: b.role, text: b.text, summary: b.summary, tokens: b.tokens, pagedAt: b.pagedAt, score: 'score' in b ? (b.score as number) : null }));
  }

  listGallery(): AgentManifest[] {
    return [...this.gallery.values()];
  }

  listTools(): ToolManifest[] {
    return this.tools.list();
  }

  /** Syncs the journal's pending lines to disk now: the last-resort handler's step before a crash exit. */
  flushJournal(): void {
    this.journal?.journal.flush();
  }

  /** Stops every process without an exit (a restart recovers them), then frees the model and the journal. */
  async dispose(): Promise<void> {
    for (const external of [...this.externals]) external.close('the kernel stopped');
    for (const process of this.processes.values()) process.halt();
    await Promise.allSettled([...this.running]);
    await this.model.dispose();
    await this.store.dispose();
  }
}
