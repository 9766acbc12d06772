import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemoteCoreConfig, type CoreInfo, type KernelEventBody } from '../../../src-shared/index.js';
import type { AuditLog } from '../core/audit-log.js';
import { configChangeAuditEntry } from '../core/syscall-audit.js';
import type { Disposable } from '../core/disposable.js';
import { KernelError, toErrorPayload } from '../core/kernel-error.js';
import { loadOrCreateKernelKey } from '../core/kernel-key.js';
import type { LlmBackend } from '../llm/index.js';
import { LOCAL_CORE, type SlotScheduler } from '../scheduler/index.js';
import type { RemoteCore } from './core.js';
import { LlamaServerCore } from './llama-server-core.js';
import { OpenAiCore } from './openai-core.js';
import { CoreFault, DEFAULT_REMOTE_LIMITS, forbiddenAddress, type RemoteLimits } from './remote-http.js';

export interface CorePoolOptions {
  dataDir: string;
  emit: (body: KernelEventBody) => void;
  audit: AuditLog;
  /** Where `tokenEnv` names are looked up. */
  env: NodeJS.ProcessEnv;
  /** false: the local model tokenizes and builds prompts but lends no slots (every token comes from a remote core). */
  localCore: boolean;
  probeIntervalMs?: number;
  limits?: RemoteLimits;
}

const DEFAULT_PROBE_INTERVAL_MS = 2_000;
/** As many as config.json may list (settings.ts checks the same). */
const MAX_CORES = 64;

/** The model and the scheduler the cores lend their slots to; null while no model is loaded. */
interface Attached {
  llm: LlmBackend;
  scheduler: SlotScheduler;
}

/**
 * The kernel's cores: the local model and the remote engines in config.json `cores`. The pool
 * probes each remote core, lends the slots of those that are up and serve the loaded model to the
 * scheduler, and takes them back when a core stops answering (its running agents' requests fail
 * with CORE_UNAVAILABLE and they generate the step again on another core). Down cores are probed
 * at the same pace and come back into the pool when they answer again.
 */
export class CorePool implements Disposable {
  private readonly remotes = new Map<string, RemoteCore>();
  private attached: Attached | null = null;
  private nextIndex = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly limits: RemoteLimits;
  /** Keyed by the core itself: a core removed and added again under its name gets its own probe. */
  private probing = new Map<RemoteCore, Promise<void>>();
  private lastSent = new Map<string, string>();
  /** config.json `cores` entries the pool could not take: written back as they were, so nothing of the user's is lost. */
  private readonly skipped: { index: number; entry: unknown }[] = [];
  /** Why entries were skipped, for the boot report. */
  readonly warnings: string[] = [];
  /** Cores that cannot be tried at all (their token's variable is unset), with the reason. */
  private readonly unusable = new Map<string, string>();

  /** Names the slot files a llama-server core keeps (see LlamaServerSlot.saveState). */
  private readonly slotKey: Buffer;

  constructor(private readonly options: CorePoolOptions) {
    this.limits = options.limits ?? DEFAULT_REMOTE_LIMITS;
    this.slotKey = loadOrCreateKernelKey(options.dataDir);
    for (const { config, index } of this.readConfigs()) {
      // A stored entry the pool refuses (a credential in its URL, a metadata address) is skipped with a boot warning, never a failed boot.
      try {
        if (this.remotes.has(config.name)) throw new KernelError('INVALID_REQUEST', `a core named ${config.name} is listed twice`);
        this.remotes.set(config.name, this.create(config));
      } catch (error) {
        this.skip(config, index, toErrorPayload(error).message);
      }
    }
    this.timer = setInterval(() => void this.probeAll(), options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  get localLendsSlots(): boolean {
    return this.options.localCore;
  }

  /** A model was loaded: every remote core is checked against it and, if it serves it, joins. */
  attach(llm: LlmBackend, scheduler: SlotScheduler): void {
    this.attached = { llm, scheduler };
    // Remote slots keep their indices across model switches; new ones never reuse one.
    this.nextIndex = Math.max(this.nextIndex, llm.slots.length);
    for (const core of this.remotes.values()) {
      core.health = 'starting';
      void this.probe(core, true);
    }
    this.announceLocal();
  }

  detach(): void {
    this.attached = null;
    this.announceLocal();
  }

  list(): CoreInfo[] {
    return [this.localInfo(), ...[...this.remotes.values()].map((core) => this.info(core))];
  }

  async add(params: RemoteCoreConfig): Promise<CoreInfo> {
    const config = RemoteCoreConfig.parse(params);
    const outcome = (result: 'ok' | 'error', reason: string): void => this.audit('cores.add', config.name, result, reason);
    const taken = config.name === LOCAL_CORE ? `"${LOCAL_CORE}" is the kernel's own model: pick another name` : this.remotes.has(config.name) ? `a core named ${config.name} exists already: remove it first` : null;
    if (taken) {
      outcome('error', taken);
      throw new KernelError('INVALID_REQUEST', taken);
    }
    try {
      const core = this.create(config);
      this.remotes.set(config.name, core);
      this.writeConfigs();
      outcome('ok', `${config.kind} at ${core.url}`);
      await this.probe(core, true);
      return this.info(core);
    } catch (error) {
      this.remotes.delete(config.name);
      outcome('error', toErrorPayload(error).message);
      throw error;
    }
  }

  /** Its agents' requests end now; they generate the step again on another core (or wait for one). */
  async remove(name: string): Promise<void> {
    const core = this.remotes.get(name);
    if (!core) {
      this.audit('cores.remove', name, 'error', 'no such core');
      throw new KernelError('INVALID_REQUEST', name === LOCAL_CORE ? 'the local core is the kernel\'s own model: it cannot be removed' : `no core named ${name}`);
    }
    this.remotes.delete(name);
    this.writeConfigs();
    this.attached?.scheduler.removeCore(name);
    core.health = 'down';
    core.reason = 'removed';
    await core.dispose();
    this.audit('cores.remove', name, 'ok', 'removed');
    this.announce(core);
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const core of this.remotes.values()) void core.dispose();
  }

  private create(config: RemoteCoreConfig): RemoteCore {
    const base = new URL(config.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new KernelError('INVALID_REQUEST', `a core's URL must be http or https, got ${base.protocol}`);
    if (base.username || base.password || base.search || base.hash) {
      throw new KernelError('INVALID_REQUEST', 'a core\'s URL may not carry credentials, a query or a fragment: pass a token with --token-env VAR');
    }
    if (forbiddenAddress(base.hostname)) throw new KernelError('INVALID_REQUEST', `a core's URL may not point at ${base.hostname}: a link-local or cloud metadata address serves no model`);
    const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    const token = config.tokenEnv ? this.options.env[config.tokenEnv] || null : null;
    const target = { base: new URL(url), token, limits: this.limits };
    // Bound to this core object: a request of a removed core failing late never marks down its successor of the same name.
    const report = (reason: string): void => {
      if (this.remotes.get(config.name) === core) this.markDown(config.name, reason);
    };
    const core: RemoteCore = config.kind === 'llama-server'
      ? new LlamaServerCore(config.name, url, config.tokenEnv ?? null, target, report, this.slotKey)
      : new OpenAiCore(config.name, url, config.tokenEnv ?? null, target, report, config.model ?? null);
    if (config.tokenEnv && token === null) this.unusable.set(config.name, `the environment variable ${config.tokenEnv} (its token) is not set`);
    // A token goes into an HTTP header: a newline there would be header injection (node refuses it, mid-request).
    else if (token !== null && !/^[\x21-\x7e]+$/.test(token)) this.unusable.set(config.name, `the token in ${config.tokenEnv} has characters a bearer token cannot have (spaces, newlines, control or non-ASCII characters)`);
    else this.unusable.delete(config.name);
    return core;
  }

  private probeAll(): void {
    for (const core of this.remotes.values()) void this.probe(core, false);
    this.announceLocal();
  }

  /** One probe per core at a time; `announce` says the result even when nothing changed. */
  private probe(core: RemoteCore, announce: boolean): Promise<void> {
    const running = this.probing.get(core);
    if (running) return running;
    const done = this.runProbe(core, announce).finally(() => this.probing.delete(core));
    this.probing.set(core, done);
    return done;
  }

  private async runProbe(core: RemoteCore, announce: boolean): Promise<void> {
    const attached = this.attached;
    if (!attached) {
      core.reason = 'no model is loaded';
      return announce ? this.announce(core) : undefined;
    }
    const blocked = this.unusable.get(core.name);
    if (blocked) return this.markDown(core.name, blocked);
    try {
      const before = core.slots;
      const unfit = await core.probe(attached.llm, () => this.nextIndex++);
      if (this.remotes.get(core.name) !== core || this.attached !== attached) return;
      if (unfit) return this.markDown(core.name, unfit);
      if (core.health !== 'up' || before !== core.slots) {
        core.health = 'up';
        core.reason = null;
        attached.scheduler.addCore(core.name, core.slots);
      }
    } catch (error) {
      if (this.remotes.get(core.name) !== core) return;
      if (!(error instanceof CoreFault)) core.reason = toErrorPayload(error).message;
      return this.markDown(core.name, toErrorPayload(error).message);
    }
    this.announce(core);
  }

  private markDown(name: string, reason: string): void {
    const core = this.remotes.get(name);
    if (!core) return;
    // The other requests that the first fault ended report it again: the first reason stands.
    if (core.health === 'down' && reason.startsWith(`core ${name} is down:`)) return;
    const changed = core.health !== 'down' || core.reason !== reason;
    core.health = 'down';
    core.reason = reason;
    // The slots leave first, so the agents whose requests now fail are placed elsewhere.
    this.attached?.scheduler.removeCore(name);
    core.abortAll(reason);
    if (changed) this.announce(core);
  }

  private info(core: RemoteCore): CoreInfo {
    const load = this.attached && core.health === 'up' ? this.attached.scheduler.coreLoad(core.name) : { busy: 0, queued: 0 };
    return {
      name: core.name,
      kind: core.kind,
      url: core.url,
      health: core.health,
      reason: core.reason,
      model: core.model,
      slots: core.slots.length,
      busySlots: load.busy,
      queued: load.queued,
      latencyMs: core.latencyMs,
      capabilities: { ...core.capabilities },
      tokenEnv: core.tokenEnv,
    };
  }

  private localInfo(): CoreInfo {
    const attached = this.attached;
    const load = attached ? attached.scheduler.coreLoad(LOCAL_CORE) : { busy: 0, queued: 0 };
    return {
      name: LOCAL_CORE,
      kind: 'local',
      url: null,
      health: attached ? 'up' : 'down',
      reason: attached ? (this.options.localCore ? null : 'lends no slots (localCore: false): it tokenizes and builds prompts only') : 'no model is loaded',
      model: attached?.llm.info.name ?? null,
      slots: attached && this.options.localCore ? attached.llm.slots.length : 0,
      busySlots: load.busy,
      queued: load.queued,
      latencyMs: null,
      capabilities: { kvSaveRestore: true, slotPinning: true, grammar: true },
      tokenEnv: null,
    };
  }

  /** core.changed, only when what a viewer sees changed (the probe runs every few seconds). */
  private announce(core: RemoteCore): void {
    this.send(this.info(core));
  }

  private announceLocal(): void {
    this.send(this.localInfo());
  }

  private send(info: CoreInfo): void {
    const { latencyMs: _latency, ...seen } = info;
    const key = JSON.stringify(seen);
    if (this.lastSent.get(info.name) === key) return;
    this.lastSent.set(info.name, key);
    this.options.emit({ type: 'core.changed', core: info });
  }

  private audit(action: 'cores.add' | 'cores.remove', name: string, outcome: 'ok' | 'error', reason: string): void {
    this.options.audit.append(configChangeAuditEntry('user', action, name, outcome, reason));
  }

  private get configPath(): string {
    return join(this.options.dataDir, 'config.json');
  }

  /**
   * config.json `cores`, entry by entry: a bad one is skipped (and kept in the file) while the
   * others load; the settings loader reports it at startup too. Entries past the 64th are skipped.
   */
  private readConfigs(): { config: RemoteCoreConfig; index: number }[] {
    if (!existsSync(this.configPath)) return [];
    let entries: unknown;
    try {
      entries = (JSON.parse(readFileSync(this.configPath, 'utf8')) as { cores?: unknown }).cores ?? [];
    } catch {
      return [];
    }
    if (!Array.isArray(entries)) {
      this.warnings.push('config.json: cores is not a list: no remote core was loaded');
      return [];
    }
    const configs: { config: RemoteCoreConfig; index: number }[] = [];
    entries.forEach((entry: unknown, index) => {
      const parsed = RemoteCoreConfig.safeParse(entry);
      if (parsed.success && index < MAX_CORES) configs.push({ config: parsed.data, index });
      else this.skip(entry, index, parsed.success ? `more than ${MAX_CORES} cores` : `${parsed.error.issues[0]!.path.join('.') || 'the entry'}: ${parsed.error.issues[0]!.message}`);
    });
    return configs;
  }

  /** Named by its place, never echoed: a URL there may carry a credential. */
  private skip(entry: unknown, index: number, reason: string): void {
    this.skipped.push({ index, entry });
    if (this.warnings.length < 8) this.warnings.push(`config.json: cores entry ${index} was skipped (${reason.slice(0, 200)})`);
  }

  /** Rewrites `cores` only, keeping every other setting; written aside and renamed. */
  private writeConfigs(): void {
    let raw: Record<string, unknown> = {};
    if (existsSync(this.configPath)) {
      try {
        const parsed = JSON.parse(readFileSync(this.configPath, 'utf8')) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) raw = parsed as Record<string, unknown>;
      } catch {
        throw new KernelError('INVALID_STATE', `${this.configPath} is not valid JSON: fix it before adding or removing cores`);
      }
    }
    raw.cores = [...this.remotes.values()].map((core) => ({
      name: core.name,
      kind: core.kind,
      url: core.url,
      ...(core.tokenEnv ? { tokenEnv: core.tokenEnv } : {}),
      ...(core.kind === 'openai' && (core as OpenAiCore).wanted ? { model: (core as OpenAiCore).wanted } : {}),
    }));
    raw.cores = [...(raw.cores as unknown[]), ...this.skipped.sort((a, b) => a.index - b.index).map((skipped) => skipped.entry)];
    const temporary = `${this.configPath}.tmp-${process.pid}`;
    writeFileSync(temporary, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.configPath);
  }
}
