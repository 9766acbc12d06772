import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AgentManifest,
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
import { defaultPriorityClass, emptyCounters, isTerminal, parseAgentManifest } from '../../src-shared/index.js';
import { lockDataDir } from './core/data-dir-lock.js';
import { DisposableStore, toDisposable, type Disposable } from './core/disposable.js';
import { EventBus } from './core/event-bus.js';
import { Journal, readJournal } from './core/journal.js';
import { KernelError, toErrorPayload } from './core/kernel-error.js';
import { ProcessTable } from './core/process-table.js';
import { SyscallDispatcher } from './core/syscall-dispatcher.js';
import { loadLlamaBackend, type GpuChoice, type LlmBackend } from './llm/index.js';
import { InterruptController, WebhookListener } from './interrupts/index.js';
import { AgentProcess, historyFromTranscript, loadGallery, validateAgentArgs, type AgentHost } from './runtime/index.js';
import { DEFAULT_FAIR_SHARE, fairSharePolicy, fcfsPolicy, KvSwapper, SlotScheduler, type SwapLocation } from './scheduler/index.js';
import { ToolRegistry } from './tools/index.js';
import { Sandbox } from './sandbox/index.js';
import { AuditLog, digestArgs } from './core/audit-log.js';

export interface KernelConfig {
  dataDir: string;
  /** No model: the kernel still serves its API and says why nothing can run. */
  modelPath: string | null;
  gpu: GpuChoice;
  threads?: number;
  /** Tokens per slot. */
  contextSize: number;
  slots: number;
  galleryDir: string;
  version: string;
  scheduler?: SchedulerConfig;
  /** Loopback port for webhook interrupts; 0 picks a free one. */
  webhookPort?: number;
  /** Folders with a Wasm plugin catalog (`npm run build:wasm` writes `dist/wasm-tools/tools`). */
  toolDirs: string[];
  /** How long a grant request waits for the user before it is denied. */
  grantTimeoutMs?: number;
}

export interface SchedulerConfig {
  /** `fcfs` is the no-preemption baseline the benchmarks compare against. */
  policy: 'fair-share' | 'fcfs';
  quantumTokens: number;
  /** Where a preempted process's KV state goes when its slot is needed. */
  swap: SwapLocation;
}

export const DEFAULT_SCHEDULER: SchedulerConfig = { policy: 'fair-share', quantumTokens: DEFAULT_FAIR_SHARE.quantumTokens, swap: 'ram' };

export interface BootReport {
  journalSkippedLines: { line: number; reason: string }[];
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
  private readonly store = new DisposableStore();
  private readonly processes = new Map<number, AgentProcess>();
  private readonly running = new Set<Promise<void>>();
  private gallery = new Map<string, AgentManifest>();
  private llm: LlmBackend | null = null;
  private scheduler: SlotScheduler | null = null;
  private modelError: string | null = null;
  private readonly startedAt = Date.now();
  readonly report: BootReport = { journalSkippedLines: [], galleryErrors: [], recovered: [], interruptErrors: [] };
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

  private constructor(readonly config: KernelConfig) {}

  static async boot(config: KernelConfig): Promise<Kernel> {
    const kernel = new Kernel(config);
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
    const journalPath = join(this.config.dataDir, 'journal', 'events.jsonl');
    const replay = readJournal(journalPath);
    this.report.journalSkippedLines = replay.skippedLines;
    for (const event of replay.events) this.table.apply(event);
    this.bus.resumeSequence(replay.events.at(-1)?.seq ?? 0);
    const journal = this.store.add(new Journal(journalPath));
    // The table first, so that every other listener sees the state the event produced.
    this.store.add(toDisposable(this.bus.on((event) => this.table.apply(event))));
    this.store.add(toDisposable(this.bus.on((event) => journal.append(event))));
    this.store.add(this.bus);

    const audit = this.store.add(new AuditLog(join(this.config.dataDir, 'audit', 'audit.jsonl'), (record) => this.bus.emit({ type: 'audit.appended', record })));
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
    this.registerSyscalls();
    const gallery = await loadGallery(this.config.galleryDir);
    this.gallery = new Map(gallery.agents.map((agent) => [agent.id, agent]));
    this.report.galleryErrors = gallery.errors;
    this.warnings.push(...gallery.errors.map((error) => `gallery: ${error.message}`));

    this.bus.emit({ type: 'kernel.started', version: this.config.version });
    if (this.config.modelPath) await this.loadModel(this.config.modelPath);
    else this.modelError = 'no model configured: pass --model PATH or set AMK_MODEL';
    this.recoverProcesses();
    this.store.add(this.webhook);
    this.store.add(this.interrupts);
    await this.webhook.start(this.config.webhookPort ?? 0);
    this.restoreInterrupts(replay.events);
  }

  /** Bindings live in the journal: re-arm those bound and never unbound. */
  private restoreInterrupts(events: readonly KernelEvent[]): void {
    const bindings = new Map<string, InterruptBinding>();
    for (const event of events) {
      if (event.type === 'interrupt.bound') bindings.set(event.binding.id, event.binding);
      else if (event.type === 'interrupt.unbound') bindings.delete(event.bindingId);
    }
    for (const binding of bindings.values()) {
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

  private async loadModel(modelPath: string): Promise<void> {
    try {
      const llm = await loadLlamaBackend({
        modelPath,
        gpu: this.config.gpu,
        contextSize: this.config.contextSize,
        slots: this.config.slots,
        cacheDir: this.config.dataDir,
        ...(this.config.threads === undefined ? {} : { threads: this.config.threads }),
      });
      this.llm = llm;
      const settings = this.config.scheduler ?? DEFAULT_SCHEDULER;
      const policy =
        settings.policy === 'fcfs' ? fcfsPolicy() : fairSharePolicy({ ...DEFAULT_FAIR_SHARE, quantumTokens: settings.quantumTokens });
      const swapper = new KvSwapper(settings.swap, join(this.config.dataDir, 'swap'));
      this.scheduler = new SlotScheduler(llm.slots, policy, swapper, (body) => this.bus.emit(body));
      this.bus.emit({ type: 'model.loaded', model: llm.info });
    } catch (error) {
      const payload = toErrorPayload(error);
      this.modelError = payload.message;
      this.bus.emit({ type: 'model.failed', error: payload });
    }
  }

  /** Processes that were live when the kernel last stopped wait, suspended, for a resume. */
  private recoverProcesses(): void {
    for (const info of this.table.live()) {
      this.bus.emit({
        type: 'proc.state',
        pid: info.pid,
        state: 'suspended',
        slot: null,
        reason: 'recovered after a kernel restart: resume to continue from the journal',
      });
      this.report.recovered.push(info.pid);
    }
  }

  private registerSyscalls(): void {
    this.dispatcher.register('tool.call', async (pid, request, signal) => {
      const manifest = this.table.manifest(pid);
      if (!manifest.tools.includes(request.tool)) {
        throw new KernelError('UNKNOWN_TOOL', `tool "${request.tool}" is not among ${manifest.id}'s tools`, { tool: request.tool });
      }
      validateAgentArgs(manifest, request.tool, request.args, this.tools);
      return this.tools.invoke(request.tool, request.args, {
        pid,
        agentId: manifest.id,
        agentName: manifest.name,
        policy: manifest.policy,
        signal,
        onBlocked: (reason) => {
          if (isTerminal(this.table.get(pid).state)) return;
          this.bus.emit({ type: 'proc.state', pid, state: reason ? 'blocked' : 'waiting', slot: null, ...(reason ? { reason } : {}) });
        },
      });
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
    if (!this.llm || !this.scheduler) {
      throw new KernelError('MODEL_NOT_LOADED', `no model is loaded: ${this.modelError ?? 'unknown reason'}`);
    }
    return { llm: this.llm, scheduler: this.scheduler, dispatcher: this.dispatcher, bus: this.bus, tools: this.tools };
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
      if (process.isTerminal) await this.scheduler?.forget(process.pid);
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
    const unknown = manifest.tools.filter((tool) => !this.tools.has(tool));
    if (unknown.length > 0) {
      throw new KernelError('UNKNOWN_TOOL', `agent "${manifest.id}" names unknown tool(s): ${unknown.join(', ')}`, { tools: unknown });
    }
    return manifest;
  }

  spawn(agent: string | Record<string, unknown>, task: string, priorityClass?: PriorityClass, session = false): ProcessInfo {
    const manifest = this.resolveManifest(agent);
    const host = this.host();
    const pid = this.table.nextPid();
    const priority = {
      class: priorityClass ?? manifest.priority?.class ?? defaultPriorityClass(manifest.kind),
      nice: manifest.priority?.nice ?? 0,
    };
    const info: ProcessInfo = {
      pid,
      agentId: manifest.id,
      name: manifest.name,
      icon: manifest.icon,
      kind: manifest.kind,
      task,
      state: 'new',
      priority,
      slot: null,
      counters: emptyCounters(),
      createdAt: Date.now(),
      startedAt: null,
      lastRunAt: null,
      exitedAt: null,
      exit: null,
      swap: null,
    };
    this.bus.emit({ type: 'proc.spawned', process: info, manifest });
    this.sandbox.provider.warm(manifest.tools);
    this.launch(new AgentProcess(host, pid, manifest, task, priority, { session }));
    return this.table.get(pid);
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

  /** Resumes a suspended process, or restarts a recovered one from its journaled transcript. */
  resume(pid: number): ProcessInfo {
    const info = this.liveInfo(pid);
    const process = this.processes.get(pid);
    if (process) {
      if (!process.isSuspended) throw new KernelError('INVALID_STATE', `process ${pid} is ${info.state}, not suspended`);
      process.resume();
      return this.table.get(pid);
    }
    const host = this.host();
    const history = historyFromTranscript(this.table.transcript(pid), host.llm);
    const manifest = this.table.manifest(pid);
    this.launch(
      new AgentProcess(host, pid, manifest, info.task, info.priority, { session: manifest.kind === 'interactive', history, counters: info.counters }),
    );
    return this.table.get(pid);
  }

  renice(pid: number, change: { nice?: number; class?: PriorityClass }): ProcessInfo {
    const info = this.liveInfo(pid);
    const priority = { class: change.class ?? info.priority.class, nice: change.nice ?? info.priority.nice };
    const process = this.processes.get(pid);
    if (process) process.priority = priority;
    this.scheduler?.reprioritize(pid, priority);
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
      model: this.llm?.info ?? null,
      modelError: this.llm ? null : this.modelError,
      scheduler: {
        policy: this.scheduler?.policyName ?? (this.config.scheduler ?? DEFAULT_SCHEDULER).policy,
        quantumTokens: (this.config.scheduler ?? DEFAULT_SCHEDULER).quantumTokens,
        swap: (this.config.scheduler ?? DEFAULT_SCHEDULER).swap,
      },
      webhook: this.webhook.url ? { url: this.webhook.url, token: this.webhook.token } : null,
      warnings: [...this.warnings, ...this.report.interruptErrors],
    };
  }

  listProcesses(): ProcessInfo[] {
    return this.table.list();
  }

  transcript(pid: number): TranscriptEntry[] {
    return this.table.transcript(pid);
  }

  listGallery(): AgentManifest[] {
    return [...this.gallery.values()];
  }

  listTools(): ToolManifest[] {
    return this.tools.list();
  }

  /** Stops every process without an exit (a restart recovers them), then frees the model and the journal. */
  async dispose(): Promise<void> {
    for (const process of this.processes.values()) process.halt();
    await Promise.allSettled([...this.running]);
    const llm = this.llm;
    const scheduler = this.scheduler;
    this.llm = null;
    this.scheduler = null;
    await scheduler?.dispose();
    await llm?.dispose();
    await this.store.dispose();
  }
}
