import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ToolManifest } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { HOST_FUNCTION_NAMES, MAX_HOST_ARG_BYTES } from './host-functions.js';
import { PLUGIN_WORKER_SOURCE } from './plugin-worker-source.js';
import { declaredImports } from './wasm-memory.js';
import { WASI_FUNCTIONS, WASI_MODULE } from './wasi-subset.js';

const WORKER_URL = new URL(`data:text/javascript,${encodeURIComponent(PLUGIN_WORKER_SOURCE)}`);
/** The SDK's ES module, imported by the worker by absolute URL (a `data:` module cannot resolve bare names). */
const EXTISM_URL = pathToFileURL(createRequire(import.meta.url).resolve('@extism/extism').replace(/cjs[/\\]index\.js$/, 'esm/mod.js')).href;
/** Vars a plugin may keep across calls (the SDK reads 0 as unlimited). */
const MAX_VAR_BYTES = 64 * 1024;
/**
 * The worker's own JS heap. Plugin memory is outside it (Wasm memory, bounded by the module's
 * declared maximum; host blocks, bounded per call); this bounds the SDK's bookkeeping.
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };

/** Answers one host call (JSON in, JSON out) on the kernel's main thread. */
export type HostCall = (name: string, text: string) => Promise<string>;

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'host'; name: string; text: string }
  | { type: 'done'; ok: true; text: string }
  | { type: 'done'; ok: false; message?: string; output?: number };

interface Pending {
  resolve: (text: string) => void;
  reject: (error: KernelError) => void;
  host: HostCall;
}

/**
 * One plugin instance in its own worker thread. The main thread only answers host calls and reads
 * output within the cap, so a plugin cannot block it; every way the worker can fail (a message
 * saying so, 'error', 'exit', 'messageerror') fails the call or the start, never the kernel.
 */
export class PluginWorker {
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly replies: MessagePort;
  private pending: Pending | null = null;
  private starting: { resolve: () => void; reject: (error: KernelError) => void } | null = null;
  private failure: KernelError | null = null;

  constructor(
    private readonly manifest: ToolManifest,
    bytes: Uint8Array,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    const limits = {
      hostBytes: manifest.limits.memoryPages * 65_536 + manifest.limits.outputBytes,
      argBytes: MAX_HOST_ARG_BYTES,
      outputBytes: manifest.limits.outputBytes,
      varBytes: MAX_VAR_BYTES,
    };
    this.ready = new Promise((resolve, reject) => (this.starting = { resolve, reject }));
    this.ready.catch(() => {});
    // Only a plugin that imports the WASI subset gets it (the catalog checked which functions);
    // one whose imports cannot be read gets none, and the SDK then refuses it if it needs WASI.
    let wasi = false;
    try {
      wasi = declaredImports(bytes).some((entry) => entry.module === WASI_MODULE);
    } catch {
      wasi = false;
    }
    this.worker = new Worker(WORKER_URL, {
      name: `amk plugin ${manifest.name}`,
      workerData: { extismUrl: EXTISM_URL, wasm: bytes, limits, hostNames: HOST_FUNCTION_NAMES, wasi, wasiNames: WASI_FUNCTIONS, signal: this.flag.buffer, replies: port2 },
      transferList: [port2],
      resourceLimits: RESOURCE_LIMITS,
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => this.fail(`crashed: ${error.message}`));
    this.worker.on('messageerror', (error) => this.fail(`sent a message that could not be read: ${error.message}`));
    this.worker.on('exit', (code) => this.fail(`its worker exited (code ${code})`));
  }

  /** Whether the worker has failed or was stopped (an idle one may die: the pool then replaces it). */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** Runs `run` with this input; host calls go to `host`. Rejects with TOOL_FAILED on any failure. */
  call(input: string, host: HostCall): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new KernelError('TOOL_FAILED', `${this.manifest.name}: the instance is busy`));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, host };
      this.worker.postMessage({ type: 'call', input });
    });
  }

  /** Stops the worker; a call in progress fails with this error. */
  stop(error: KernelError): Promise<void> {
    this.settle(error);
    return this.worker.terminate().then(() => {});
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'ready') {
      this.starting?.resolve();
      this.starting = null;
    } else if (message.type === 'failed') {
      this.fail(`could not start: ${message.message}`);
    } else if (message.type === 'host') {
      const pending = this.pending;
      if (!pending) return;
      void pending.host(message.name, message.text).then(
        (reply) => this.reply(reply),
        (error: unknown) => this.reply(JSON.stringify({ ok: false, error: (error as Error).message })),
      );
    } else if (message.type === 'done') {
      const pending = this.pending;
      this.pending = null;
      if (!pending) return;
      if (message.ok) pending.resolve(message.text);
      else if (message.output !== undefined) {
        pending.reject(new KernelError('TOOL_FAILED', `${this.manifest.name} produced ${message.output} bytes of output, over its ${this.manifest.limits.outputBytes}-byte limit`));
      } else pending.reject(new KernelError('TOOL_FAILED', `${this.manifest.name} crashed: ${message.message ?? 'no reason given'}`));
    }
  }

  private reply(text: string): void {
    if (this.failure) return;
    this.replies.postMessage(text);
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
  }

  private fail(reason: string): void {
    if (this.failure) return;
    this.settle(new KernelError('TOOL_FAILED', `${this.manifest.name} ${reason}`));
    void this.worker.terminate().catch(() => {});
  }

  private settle(error: KernelError): void {
    this.failure ??= error;
    this.starting?.reject(error);
    this.starting = null;
    this.pending?.reject(error);
    this.pending = null;
    this.replies.close();
  }
}
