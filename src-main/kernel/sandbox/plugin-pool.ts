import type { ToolManifest } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import type { CallScope } from './host-functions.js';
import { callHostFunction } from './host-functions.js';
import { PluginWorker } from './plugin-worker.js';

/** Warm instances per tool (a worker start costs tens of ms); at most this many at once. */
const MAX_INSTANCES = 2;
/** How long a worker may take to compile and instantiate its plugin (a start function that loops is stopped). */
const START_BUDGET_MS = 15_000;

/**
 * Runs one tool's plugin in worker threads (`PluginWorker`). Every call has a time budget enforced
 * by a watchdog on the kernel's main thread, which the plugin cannot block (its memory and output
 * stay in its worker), an output cap, and a fresh instance after any failure, so a plugin that
 * loops, traps or misbehaves never affects the next call.
 */
export class PluginPool {
  private readonly idle: PluginWorker[] = [];
  private readonly waiting: ((plugin: PluginWorker | null) => void)[] = [];
  private readonly all = new Set<PluginWorker>();
  private live = 0;
  private closed = false;

  constructor(
    readonly manifest: ToolManifest,
    private readonly bytes: Uint8Array,
  ) {}

  private async create(): Promise<PluginWorker> {
    const plugin = new PluginWorker(this.manifest, this.bytes);
    this.all.add(plugin);
    const timer = setTimeout(() => void plugin.stop(new KernelError('TOOL_FAILED', `${this.manifest.name} did not start within ${START_BUDGET_MS} ms`)), START_BUDGET_MS);
    try {
      await plugin.ready;
    } catch (error) {
      this.all.delete(plugin);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (this.closed) {
      // Shut down while it was starting: its worker must not outlive the pool.
      await this.stop(plugin);
      throw new KernelError('TOOL_FAILED', `${this.manifest.name}: the sandbox is shut down`);
    }
    return plugin;
  }

  private async checkout(): Promise<PluginWorker> {
    for (let idle = this.idle.pop(); idle; idle = this.idle.pop()) {
      if (!idle.failed) return idle;
      this.live--;
      void this.stop(idle);
    }
    if (this.live < MAX_INSTANCES) {
      this.live++;
      try {
        return await this.create();
      } catch (error) {
        this.live--;
        // A waiter may now start an instance of its own.
        this.waiting.shift()?.(null);
        if (error instanceof KernelError) throw error;
        throw new KernelError('TOOL_FAILED', `${this.manifest.name}: the plugin could not start: ${(error as Error).message}`);
      }
    }
    const plugin = await new Promise<PluginWorker | null>((resolve) => this.waiting.push(resolve));
    return plugin ?? this.checkout();
  }

  private checkin(plugin: PluginWorker): void {
    const next = this.waiting.shift();
    if (next) next(plugin);
    else this.idle.push(plugin);
  }

  private stop(plugin: PluginWorker, error = new KernelError('TOOL_FAILED', `${this.manifest.name}: stopped`)): Promise<void> {
    this.all.delete(plugin);
    return plugin.stop(error).catch(() => {});
  }

  private discard(plugin: PluginWorker, error?: KernelError): void {
    this.live--;
    void this.stop(plugin, error);
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
    const timeout = new KernelError('TIMEOUT', `${this.manifest.name} ran past its ${budget} ms time budget and was stopped`);
    // The watchdog stops the worker; the call then fails with this error.
    const timer = setTimeout(() => void plugin.stop(timeout), budget);
    try {
      const text = await plugin.call(input, (name, text) => callHostFunction(name, text, scope));
      this.checkin(plugin);
      return text;
    } catch (error) {
      const failure = error instanceof KernelError ? error : new KernelError('TOOL_FAILED', `${this.manifest.name} crashed: ${(error as Error).message}`);
      this.discard(plugin, failure);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {
    this.closed = true;
    for (const resolve of this.waiting.splice(0)) resolve(null);
    this.idle.length = 0;
    // Busy instances too: a call in progress fails instead of keeping its worker alive.
    await Promise.allSettled([...this.all].map((plugin) => this.stop(plugin, new KernelError('TOOL_FAILED', `${this.manifest.name}: the sandbox is shut down`))));
  }
}
