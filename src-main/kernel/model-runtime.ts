import { basename, join } from 'node:path';
import type { KernelEvent, KernelEventBody, ModelInfo } from '../../src-shared/index.js';
import type { Disposable } from './core/disposable.js';
import { KernelError, toErrorPayload } from './core/kernel-error.js';
import { SnapshotStore } from './ipc/index.js';
import { describeModelFile, loadLlamaBackend, type LlmBackend } from './llm/index.js';
import { MemoryManager } from './memory/index.js';
import { DEFAULT_FAIR_SHARE, fairSharePolicy, fcfsPolicy, KvSwapper, SlotScheduler, workingSetLimit } from './scheduler/index.js';
import { DEFAULT_SCHEDULER, type KernelConfig } from './kernel-config.js';
import { IdleSwapper } from './scheduler/index.js';

/** What agents run on: the loaded model and the services built around its KV state. */
export interface ModelServices {
  llm: LlmBackend;
  scheduler: SlotScheduler;
  snapshots: SnapshotStore;
  memory: MemoryManager;
}

export interface ModelRuntimeOptions {
  config: KernelConfig;
  emit: (body: KernelEventBody) => void;
  /** The kernel's events, for the idle-swap policy (`scheduler.swapPolicy: 'idle'`). */
  subscribe?: (listener: (event: KernelEvent) => void) => () => void;
  /** Something that works, only less well (long-term memory unavailable): for `kernel.info`. */
  warn: (text: string) => void;
  /** A model's services came up (the remote cores are checked against it) or went (null). */
  onServices?: (services: ModelServices | null) => void;
}

/**
 * The model's lifetime inside the kernel: loading (with progress events), the scheduler, snapshot
 * store and long-term memory built on it, switching to another model one switch at a time, and
 * freeing it all. A model that fails to load is a reason to report, never a crash.
 */
export class ModelRuntime implements Disposable {
  private services: ModelServices | null = null;
  private failure: string | null = null;
  private loadingPath: string | null = null;
  private switching = false;
  /** The model a switch replaces: still counted as in use until the switch settles. */
  private replacing: string | null = null;
  /** Swaps idle processes' KV state out ahead of need, when the policy asks for it. */
  private idleSwap: IdleSwapper | null = null;

  constructor(private readonly options: ModelRuntimeOptions) {}

  get current(): ModelServices | null {
    return this.services;
  }

  /** Why no model is loaded, when none is. */
  get error(): string | null {
    return this.services ? null : this.failure;
  }

  get loading(): string | null {
    return this.loadingPath;
  }

  get inUse(): string | null {
    return this.services?.llm.info.path ?? this.replacing;
  }

  /** Says why nothing can run before any load was tried. */
  explainAbsence(reason: string): void {
    this.failure = reason;
  }

  /** The services, or the reason they are missing as a MODEL_NOT_LOADED error. */
  require(): ModelServices {
    if (!this.services) throw new KernelError('MODEL_NOT_LOADED', `no model is loaded: ${this.failure ?? 'unknown reason'}`);
    return this.services;
  }

  /** Loads a model; a failure is recorded (and emitted as model.failed), not thrown. */
  async load(modelPath: string): Promise<void> {
    const { config, emit } = this.options;
    this.loadingPath = modelPath;
    let reported = -1;
    try {
      const llm = await loadLlamaBackend({
        onLoadProgress: (progress) => {
          // A step every 5% is smooth enough for a progress bar.
          if (progress < 1 && progress - reported < 0.05) return;
          reported = progress;
          emit({ type: 'model.loading', path: modelPath, progress: Math.min(1, Math.max(0, progress)) });
        },
        modelPath,
        gpu: config.gpu,
        contextSize: config.contextSize,
        slots: config.slots,
        cacheDir: config.dataDir,
        ...(config.kvType ? { kvType: config.kvType } : {}),
        ...(config.gpuLayers === undefined ? {} : { gpuLayers: config.gpuLayers }),
        ...(config.embeddingModelPath ? { embeddingModelPath: config.embeddingModelPath } : {}),
        ...(config.threads === undefined ? {} : { threads: config.threads }),
      });
      this.services = await this.buildServices(llm);
      this.options.onServices?.(this.services);
      this.failure = null;
      emit({ type: 'model.loaded', model: llm.info });
    } catch (error) {
      const payload = toErrorPayload(error);
      this.failure = payload.message;
      emit({ type: 'model.failed', error: payload });
    } finally {
      this.loadingPath = null;
    }
  }

  private async buildServices(llm: LlmBackend): Promise<ModelServices> {
    const { config, emit, warn } = this.options;
    const settings = config.scheduler ?? DEFAULT_SCHEDULER;
    const policy = settings.policy === 'fcfs' ? fcfsPolicy() : fairSharePolicy({ ...DEFAULT_FAIR_SHARE, quantumTokens: settings.quantumTokens });
    const swapper = new KvSwapper(settings.swap, join(config.dataDir, 'swap'), {
      modelSha256: llm.info.sha256,
      kvType: llm.info.kvType,
      contextSize: llm.info.contextSize,
      sequences: llm.info.slots,
    });
    const workingSet =
      settings.workingSet === 'unlimited'
        ? Number.POSITIVE_INFINITY
        : (settings.workingSet ?? workingSetLimit({ slots: llm.info.slots, kvBytesPerSlot: llm.info.kvBytesPerToken * llm.info.contextSize }));
    // localCore: false keeps the model for tokenizing and prompts only: every slot comes from a remote core.
    const scheduler = new SlotScheduler(config.localCore === false ? [] : llm.slots, policy, swapper, emit, workingSet);
    if (settings.swapPolicy === 'idle' && this.options.subscribe) this.idleSwap = new IdleSwapper(scheduler, this.options.subscribe);
    const snapshots = new SnapshotStore(join(config.dataDir, 'snapshots'), swapper.identity, emit);
    const memory = new MemoryManager(config.memoryDir ?? join(config.dataDir, 'memory'), llm, emit);
    await memory.open();
    if (!memory.status.available) warn(`long-term memory: ${memory.status.reason}; agents run without it`);
    return { llm, scheduler, snapshots, memory };
  }

  /**
   * Loads `path` in place of the current model, one switch at a time. The file is checked before
   * anything is unloaded, `settle` lets the last agents finish releasing the old model, and if the
   * new one does not load the old one comes back.
   */
  async switchTo(path: string, settle: () => Promise<void>): Promise<ModelInfo> {
    if (this.switching || this.loadingPath) throw new KernelError('INVALID_STATE', `a model is being loaded (${this.loadingPath ?? 'a switch is under way'}); wait for it`);
    this.switching = true;
    try {
      // Checked before anything is unloaded: a missing or damaged file costs nothing.
      await describeModelFile(path);
      await settle();
      const previous = this.services?.llm.info.path ?? null;
      this.replacing = previous;
      await this.unload();
      await this.load(path);
      if (!this.services) {
        const reason = this.failure ?? `${basename(path)} could not be loaded`;
        // The user asked for a change, not for no model at all: the one that worked comes back.
        if (previous) await this.load(previous);
        throw new KernelError('MODEL_INVALID', this.services ? `${reason}; ${basename(previous!)} is still loaded` : reason);
      }
      return this.services.llm.info;
    } finally {
      this.replacing = null;
      this.switching = false;
    }
  }

  private async unload(): Promise<void> {
    const services = this.services;
    this.services = null;
    this.options.onServices?.(null);
    this.failure = 'the model was unloaded';
    this.idleSwap?.dispose();
    this.idleSwap = null;
    if (!services) return;
    await services.memory.dispose();
    await services.scheduler.dispose();
    await services.llm.dispose();
  }

  async dispose(): Promise<void> {
    await this.unload();
  }
}
