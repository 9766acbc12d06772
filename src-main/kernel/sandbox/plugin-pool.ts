import createPlugin, { type Plugin } from '@extism/extism';
import type { ToolManifest } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import type { CallScope } from './host-functions.js';
import { hostFunctions } from './host-functions.js';

/** Warm instances per tool (a worker start costs tens of ms); at most this many at once. */
const MAX_INSTANCES = 2;
/** Past the tool's own budget, the kernel's watchdog waits this long before it kills the worker. */
const WATCHDOG_GRACE_MS = 250;

const silent = { log() {}, info() {}, debug() {}, warn() {}, error() {}, trace() {} } as unknown as Console;

/**
 * Runs one tool's plugin in worker threads. Every call has a time budget enforced twice (the
 * SDK's and a kernel watchdog that terminates the worker), an output cap, and a fresh instance
 * after any failure, so a plugin that loops, traps or misbehaves never affects the next call.
 */
export class PluginPool {
  private readonly idle: Plugin[] = [];
  private readonly waiting: ((plugin: Plugin | null) => void)[] = [];
  private live = 0;
  private closed = false;

  constructor(
    readonly manifest: ToolManifest,
    private readonly bytes: Uint8Array,
  ) {}

  private async create(): Promise<Plugin> {
    const plugin = await createPlugin(
      { wasm: [{ data: this.bytes }], memory: { maxPages: this.manifest.limits.memoryPages, maxHttpResponseBytes: 0, maxVarBytes: 0 } },
      {
        useWasi: false,
        runInWorker: true,
        allowedHosts: [],
        timeoutMs: this.manifest.limits.timeMs,
        functions: hostFunctions(),
        logger: silent,
        logLevel: 'silent',
      },
    );
    if (this.closed) {
      // Shut down while it was starting: its worker must not outlive the pool.
      await plugin.close();
      throw new KernelError('TOOL_FAILED', `${this.manifest.name}: the sandbox is shut down`);
    }
    return plugin;
  }

  private async checkout(): Promise<Plugin> {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.live < MAX_INSTANCES) {
      this.live++;
      try {
        return await this.create();
      } catch (error) {
        this.live--;
        throw new KernelError('TOOL_FAILED', `${this.manifest.name}: the plugin could not start: ${(error as Error).message}`);
      }
    }
    const plugin = await new Promise<Plugin | null>((resolve) => this.waiting.push(resolve));
    return plugin ?? this.checkout();
  }

  private checkin(plugin: Plugin): void {
    const next = this.waiting.shift();
    if (next) next(plugin);
    else this.idle.push(plugin);
  }

  private discard(plugin: Plugin): void {
    this.live--;
    void plugin.close().catch(() => {});
    // A waiter may now start an instance of its own.
    this.waiting.shift()?.(null);
  }

  /** Starts one instance ahead of the first call. */
  async warm(): Promise<void> {
    if (this.closed || this.idle.length > 0 || this.live > 0) return;
    this.checkin(await this.checkout());
  }

  async call(input: string, scope: CallScope): Promise<string> {
    if (this.closed) throw new KernelError('TOOL_FAILED', `${this.manifest.name}: the sandbox is shut down`);
    const plugin = await this.checkout();
    const budget = this.manifest.limits.timeMs;
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KernelError('TIMEOUT', `${this.manifest.name} ran past its ${budget} ms time budget and was stopped`)), budget + WATCHDOG_GRACE_MS);
    });
    try {
      const running = plugin.call('run', input, scope);
      // If the watchdog wins, the abandoned call rejects later, when its worker is killed.
      running.catch(() => {});
      const output = await Promise.race([running, watchdog]);
      const bytes = output?.bytes() ?? new Uint8Array();
      this.checkin(plugin);
      if (bytes.length > this.manifest.limits.outputBytes) {
        throw new KernelError('TOOL_FAILED', `${this.manifest.name} produced ${bytes.length} bytes of output, over its ${this.manifest.limits.outputBytes}-byte limit`);
      }
      return new TextDecoder().decode(bytes);
    } catch (error) {
      if (error instanceof KernelError && error.code === 'TOOL_FAILED') throw error;
      this.discard(plugin);
      if (error instanceof KernelError) throw error;
      const message = (error as Error).message;
      if (/timeout|timed out|interrupted/i.test(message)) {
        throw new KernelError('TIMEOUT', `${this.manifest.name} ran past its ${budget} ms time budget and was stopped`);
      }
      throw new KernelError('TOOL_FAILED', `${this.manifest.name} crashed: ${message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {
    this.closed = true;
    for (const resolve of this.waiting.splice(0)) resolve(null);
    await Promise.allSettled(this.idle.splice(0).map((plugin) => plugin.close()));
  }
}
