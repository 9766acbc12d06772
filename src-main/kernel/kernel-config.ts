import type { KvType } from '../../src-shared/index.js';
import type { GpuChoice } from './llm/index.js';
import { DEFAULT_FAIR_SHARE, type SwapLocation } from './scheduler/index.js';
import type { JournalLimits } from './core/journal-boot.js';
import type { RemoteLimits } from './cores/index.js';

export interface KernelConfig {
  dataDir: string;
  /** No model: the kernel still serves its API and says why nothing can run. */
  modelPath: string | null;
  gpu: GpuChoice;
  threads?: number;
  /** Tokens per slot, or `auto` to fit free memory. */
  contextSize: number | 'auto';
  gpuLayers?: number | 'auto';
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
  /** KV cache element type; quantized types need a head dimension that is a multiple of 32. */
  kvType?: KvType;
  /** Snapshot every agent's KV state after every N finished steps (0: only on request). */
  snapshotEverySteps?: number;
  /** After a restart, live processes resume on their own (default) or wait suspended (`--no-resume`, `resumeOnBoot: false`, AMK_NO_RESUME=1). */
  recovery?: 'resume' | 'suspend';
  /** When the journal is compacted (besides at a clean shutdown). */
  journal?: JournalLimits;
  /** Where long-term memory (LanceDB) lives; `<data dir>/memory` by default. */
  memoryDir?: string;
  /** A dedicated embedding model for long-term memory; without one the loaded model embeds. */
  embeddingModelPath?: string;
  /** The catalogue of recommended models the models screen offers (assets/models.json). */
  catalogPath?: string;
  /** The cap on one model upload (`PUT /models/upload`); 64 GiB when unset. */
  maxUploadBytes?: number;
  /** bubblewrap, which confines native MCP servers on Linux (AMK_BWRAP, `bwrapPath`); looked up on PATH when unset. */
  bwrapPath?: string;
  /**
   * false: the loaded model tokenizes and builds prompts but lends no slots, so every token comes
   * from a remote core (config.json `localCore`). Remote cores themselves are config.json `cores`.
   */
  localCore?: boolean;
  /** How often remote cores are probed (2 s by default). */
  coreProbeIntervalMs?: number;
  /** Bounds on remote core requests (kernel/cores/remote-http.ts has the defaults). */
  coreLimits?: RemoteLimits;
}

export interface SchedulerConfig {
  /** `fcfs` is the no-preemption baseline the benchmarks compare against. */
  policy: 'fair-share' | 'fcfs';
  quantumTokens: number;
  /** Where a preempted process's KV state goes when its slot is needed. */
  swap: SwapLocation;
  /**
   * When resident KV state is swapped out: `on-demand` (default) when another process needs the
   * slot; `idle` also ahead of need, the idlest blocked process first, keeping a slot free
   * (scheduler/idle-swap.ts).
   */
  swapPolicy?: 'on-demand' | 'idle';
  /**
   * How many batch processes (classes below interactive) are time-sliced at once, the rest waiting
   * in arrival order; unset: from the slots and the KV budget (`workingSetLimit`, twice the slots).
   */
  workingSet?: number | 'unlimited';
}

export const DEFAULT_SCHEDULER: SchedulerConfig = { policy: 'fair-share', quantumTokens: DEFAULT_FAIR_SHARE.quantumTokens, swap: 'ram' };
