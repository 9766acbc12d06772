import type { AgentManifest, PriorityClass, ProcessInfo } from '../../../src-shared/index.js';
import { defaultPriorityClass, freshProcessInfo, isExternalAgentId, isTerminal } from '../../../src-shared/index.js';
import type { EventBus } from '../core/event-bus.js';
import { MAX_JOURNAL_LINE_BYTES } from '../core/journal-reader.js';
import { KernelError } from '../core/kernel-error.js';
import type { ProcessTable } from '../core/process-table.js';
import type { SyscallDispatcher } from '../core/syscall-dispatcher.js';
import type { ClientIdentity } from '../access/index.js';
import { ExternalProcess, type ExternalHost } from '../mcp/index.js';
import type { ModelRuntime } from '../model-runtime.js';
import { AgentProcess, historyFromTranscript, preferSnapshotTokens, type AgentHost, type AgentOptions } from '../runtime/index.js';
import type { ToolRegistry } from '../tools/index.js';
import type { AgentManifests } from './agent-manifests.js';

export interface ProcessManagerOptions {
  bus: EventBus;
  table: ProcessTable;
  tools: ToolRegistry;
  dispatcher: SyscallDispatcher;
  model: ModelRuntime;
  manifests: AgentManifests;
  snapshotEverySteps: number;
  /** Loads the plugins of a new process's tools ahead of its first call. */
  warm(tools: readonly string[]): void;
  /** The sandbox's decision for an external agent's needs outside a tool. */
  authorize: ExternalHost['authorize'];
}

/**
 * The live processes: each agent's runtime (`AgentProcess`) and each MCP client's
 * (`ExternalProcess`), and what the user does to them (spawn, kill, suspend, resume, renice, wait,
 * reap, input, send). The table is the record; this holds what runs.
 */
export class ProcessManager {
  private readonly processes = new Map<number, AgentProcess>();
  private readonly running = new Set<Promise<void>>();
  private readonly externals = new Set<ExternalProcess>();

  constructor(private readonly options: ProcessManagerOptions) {}

  /** What an agent runs on: the loaded model's services (throws when none is loaded). */
  host(): AgentHost {
    const { llm, scheduler, snapshots, memory } = this.options.model.require();
    const { dispatcher, bus, tools, snapshotEverySteps } = this.options;
    return { llm, scheduler, dispatcher, bus, tools, snapshots, memory, snapshotEverySteps };
  }

  require(pid: number): AgentProcess {
    const process = this.processes.get(pid);
    if (!process) throw new KernelError('UNKNOWN_PROCESS', `process ${pid} is not running in this kernel`);
    return process;
  }

  liveInfo(pid: number): ProcessInfo {
    const info = this.options.table.get(pid);
    if (isTerminal(info.state)) throw new KernelError('INVALID_STATE', `process ${pid} has already ${info.state}`);
    return info;
  }

  launch(process: AgentProcess): void {
    this.processes.set(process.pid, process);
    const run = process.run().finally(async () => {
      this.running.delete(run);
      this.processes.delete(process.pid);
      if (process.isTerminal) await this.options.model.current?.scheduler.forget(process.pid);
    });
    this.running.add(run);
  }

  /** Waits for every process run to settle (an agent that just exited may still be writing its snapshot). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  spawn(agent: string | Record<string, unknown>, task: string, priorityClass?: PriorityClass, session = false): ProcessInfo {
    const { info, process } = this.create(this.options.manifests.resolve(agent), task, priorityClass, session, {});
    this.launch(process);
    return this.options.table.get(info.pid);
  }

  /** Enters a process in the table (`proc.spawned`) and builds its runtime; `launch` starts it. */
  create(manifest: AgentManifest, task: string, priorityClass: PriorityClass | undefined, session: boolean, extra: Pick<AgentOptions, 'prefix'>) {
    // Its proc.spawned line must come back on boot (the journal reader skips longer lines): a larger
    // manifest or task (an MCP client's, say) would make the process vanish at the next restart.
    const bytes = Buffer.byteLength(JSON.stringify(manifest)) + Buffer.byteLength(JSON.stringify(task));
    if (bytes > MAX_JOURNAL_LINE_BYTES / 2) {
      throw new KernelError('INVALID_REQUEST', `the manifest and task of "${manifest.id}" take ${bytes} bytes as JSON: at most ${MAX_JOURNAL_LINE_BYTES / 2} (shorten the task, prompt or tool arguments)`);
    }
    const host = this.host();
    const pid = this.options.table.nextPid();
    const priority = {
      class: priorityClass ?? manifest.priority?.class ?? defaultPriorityClass(manifest.kind),
      nice: manifest.priority?.nice ?? 0,
    };
    const info = freshProcessInfo(pid, manifest, task, priority);
    this.options.bus.emit({ type: 'proc.spawned', process: info, manifest });
    this.options.warm(manifest.tools);
    return { info, process: new AgentProcess(host, pid, manifest, task, priority, { session, ...extra }) };
  }

  kill(pid: number, reason = 'killed'): ProcessInfo {
    const info = this.liveInfo(pid);
    const process = this.processes.get(pid);
    if (process) process.kill(reason);
    else this.options.bus.emit({ type: 'proc.exited', pid, state: 'exited', exit: { code: 137, reason } });
    return this.options.table.get(info.pid);
  }

  suspend(pid: number): ProcessInfo {
    this.liveInfo(pid);
    this.require(pid).suspend();
    return this.options.table.get(pid);
  }

  /**
   * Resumes a suspended process, or restarts a recovered one: its steps from the journal, its KV
   * state from its snapshot when that checks out (otherwise it re-prefills, and says why).
   */
  async resume(pid: number): Promise<ProcessInfo> {
    const { table, bus } = this.options;
    const info = this.liveInfo(pid);
    const process = this.processes.get(pid);
    if (process) {
      if (!process.isSuspended) throw new KernelError('INVALID_STATE', `process ${pid} is ${info.state}, not suspended`);
      process.resume();
      return table.get(pid);
    }
    if (isExternalAgentId(info.agentId)) throw new KernelError('INVALID_STATE', `process ${pid} is an MCP client running outside the kernel: it cannot be suspended or resumed`);
    const host = this.host();
    let history = historyFromTranscript(table.transcript(pid), host.llm);
    const snapshot = await host.snapshots.read(pid);
    if (typeof snapshot === 'string') {
      if (host.snapshots.has(pid)) bus.emit({ type: 'proc.restore-refused', pid, reason: `${snapshot}; re-prefilling from the journal` });
    } else {
      history = preferSnapshotTokens(history, snapshot.meta.steps, snapshot.meta.leadingInputs);
      await host.scheduler.adopt(pid, info.priority, snapshot.path, snapshot.header.stateBytes);
    }
    const manifest = table.manifest(pid);
    this.launch(new AgentProcess(host, pid, manifest, info.task, info.priority, { session: manifest.kind === 'interactive', history, counters: info.counters }));
    bus.emit({ type: 'proc.state', pid, state: 'ready', slot: null, reason: 'resumed' });
    return table.get(pid);
  }

  /** Writes a live, idle process's KV state, tokens and steps to its snapshot file now. */
  async snapshot(pid: number): Promise<{ pid: number; path: string; bytes: number; tokens: number }> {
    this.liveInfo(pid);
    if (!(await this.require(pid).snapshotNow())) {
      throw new KernelError('INVALID_STATE', `process ${pid} has no idle KV state in a slot to snapshot now (it is decoding, swapped out, or has not run); it snapshots itself after each step`);
    }
    const taken = await this.host().snapshots.read(pid);
    if (typeof taken === 'string') throw new KernelError('KV_STATE_INVALID', taken);
    return { pid, path: taken.path, bytes: taken.header.stateBytes, tokens: taken.header.tokenCount };
  }

  /** A user message to a live agent; interactive agents take it at their next step, at interrupt priority. */
  input(pid: number, text: string): ProcessInfo {
    this.liveInfo(pid);
    this.require(pid).deliver(text);
    return this.options.table.get(pid);
  }

  /** A text message to a live agent's mailbox, delivered at its next step. */
  send(to: number, text: string, from = 'user'): { queued: number } {
    this.liveInfo(to);
    const queued = this.require(to).deliver(`Message from ${from}: ${text}`, false);
    this.options.bus.emit({ type: 'ipc.message', from, to, text });
    return { queued };
  }

  renice(pid: number, change: { nice?: number; class?: PriorityClass }): ProcessInfo {
    const info = this.liveInfo(pid);
    const priority = { class: change.class ?? info.priority.class, nice: change.nice ?? info.priority.nice };
    const process = this.processes.get(pid);
    if (process) process.priority = priority;
    this.options.model.current?.scheduler.reprioritize(pid, priority);
    this.options.bus.emit({ type: 'proc.priority', pid, priority });
    return this.options.table.get(pid);
  }

  /** Resolves when the process exits; rejects with TIMEOUT after `timeoutMs`, or when `signal` aborts (the caller went away). */
  wait(pid: number, timeoutMs?: number, signal?: AbortSignal): Promise<ProcessInfo> {
    const { table, bus } = this.options;
    const info = table.get(pid);
    if (isTerminal(info.state)) return Promise.resolve(info);
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void): void => {
        stop();
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
        outcome();
      };
      const cancel = (): void => finish(() => reject(new KernelError('TIMEOUT', `the wait for process ${pid} was cancelled`)));
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(() => reject(new KernelError('TIMEOUT', `process ${pid} did not exit within ${timeoutMs} ms`))), timeoutMs);
      const stop = bus.on((event) => {
        if (event.type === 'proc.exited' && event.pid === pid) finish(() => resolve(table.get(pid)));
      });
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /**
   * Clears finished processes from the table: the given ones (each must have finished) or all
   * that have. The highest pid is kept, so pids are never reused.
   */
  async reap(pids?: number[]): Promise<number[]> {
    const { table } = this.options;
    const chosen = pids ?? table.list().filter((info) => isTerminal(info.state)).map((info) => info.pid);
    for (const pid of chosen) {
      if (!isTerminal(table.get(pid).state)) throw new KernelError('INVALID_STATE', `process ${pid} is still ${table.get(pid).state}; kill it first`);
    }
    if (chosen.length === 0) return [];
    this.options.bus.emit({ type: 'proc.reaped', pids: chosen });
    await Promise.all(chosen.map((pid) => this.options.model.current?.snapshots.remove(pid)));
    return chosen;
  }

  /**
   * An agent running outside the kernel (an MCP client) enters the process table, as the identity
   * its token gave it; its tool calls are `tool.call` syscalls of that process. `close()` exits it.
   */
  attachExternal(identity: ClientIdentity, detail: string): ExternalProcess {
    const { bus, table, dispatcher, tools, authorize } = this.options;
    const host: ExternalHost = { bus, table, dispatcher, toolNames: () => tools.list().map((tool) => tool.name), authorize };
    const external = new ExternalProcess(host, identity, detail, (ended) => this.externals.delete(ended));
    this.externals.add(external);
    return external;
  }

  /** Stops every process without an exit (a restart recovers them) and waits for their runs. */
  async halt(): Promise<void> {
    for (const external of [...this.externals]) external.close('the kernel stopped');
    for (const process of this.processes.values()) process.halt();
    await this.settled();
  }
}
