import type { AgentManifest, ProcessState, SyscallResponse } from '../../../src-shared/index.js';
import { emptyCounters, freshProcessInfo, isTerminal, parseAgentManifest } from '../../../src-shared/index.js';
import type { ClientIdentity } from '../access/index.js';
import type { EventBus } from '../core/event-bus.js';
import { KernelError } from '../core/kernel-error.js';
import type { ProcessTable } from '../core/process-table.js';
import type { SyscallDispatcher } from '../core/syscall-dispatcher.js';
import type { NeededCapability } from '../sandbox/index.js';
import type { ToolCallContext } from '../tools/index.js';

export interface ExternalHost {
  bus: EventBus;
  table: ProcessTable;
  dispatcher: SyscallDispatcher;
  /** The tools registered now: an external agent may ask for any of them, each behind its grants. */
  toolNames(): string[];
  /** The sandbox's decision for needs outside a tool (another process's results, another agent's mailbox). */
  authorize(operation: string, needs: NeededCapability[], args: Record<string, unknown>, context: ToolCallContext): Promise<unknown>;
}

/**
 * An agent that runs outside the kernel (an MCP client) as a process in the table: no model loop,
 * but its tool calls are `tool.call` syscalls, validated, grant-checked and audited exactly like an
 * agent's. It is `running` while idle, `waiting` during a call, `blocked` while a grant is asked,
 * and exits when its session closes or when the user kills it.
 */
export class ExternalProcess {
  readonly pid: number;
  readonly agentId: string;
  private readonly name: string;
  private readonly controller = new AbortController();
  private readonly stopWatching: () => void;
  private readonly counters = emptyCounters();
  private inFlight = 0;
  private exited = false;

  constructor(
    private readonly host: ExternalHost,
    readonly identity: ClientIdentity,
    detail: string,
    private readonly onExit: (process: ExternalProcess) => void,
  ) {
    // The identity comes from the token the client presented; what the client calls itself is only in `detail`.
    this.agentId = identity.agentId;
    this.name = `MCP client ${identity.name}`.slice(0, 80);
    const parsed = parseAgentManifest({
      id: this.agentId,
      name: this.name,
      description: 'An agent running outside the kernel, connected over MCP: its tool calls go through the same grants and audit log.',
      icon: '🔌',
      systemPrompt: '(external MCP client: it has no model loop in this kernel)',
      kind: 'interactive',
      tools: host.toolNames(),
    });
    if (!parsed.ok) throw new KernelError('INTERNAL', parsed.message);
    const manifest: AgentManifest = parsed.manifest;
    this.pid = host.table.nextPid();
    const info = freshProcessInfo(this.pid, manifest, detail, { class: 'interactive', nice: 0 });
    host.bus.emit({ type: 'proc.spawned', process: info, manifest });
    this.stopWatching = host.bus.on((event) => {
      if (event.type === 'proc.exited' && event.pid === this.pid) this.ended();
    });
    this.setState('running');
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Aborted when the process exits (its session closed, or the user killed it). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A tool call as a `tool.call` syscall of this process: the same path, grants and audit as an agent's. */
  async callTool(tool: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<SyscallResponse> {
    if (this.exited) throw new KernelError('INVALID_STATE', `process ${this.pid} (${this.agentId}) has exited`);
    const step = this.counters.steps++;
    this.counters.toolCalls++;
    this.counters.syscalls++;
    // Only registered tools appear in the transcript: their names are valid tool names.
    const known = this.host.toolNames().includes(tool);
    if (known) this.host.bus.emit({ type: 'proc.step', pid: this.pid, step, action: { type: 'tool', tool, args } });
    this.inFlight++;
    this.setState('waiting');
    const started = performance.now();
    try {
      const response = await this.host.dispatcher.dispatch(
        this.pid,
        { call: 'tool.call', tool, args },
        signal ? AbortSignal.any([signal, this.controller.signal]) : this.controller.signal,
      );
      if (known && !this.exited) {
        this.host.bus.emit({
          type: 'proc.tool-result',
          pid: this.pid,
          step,
          tool,
          ok: response.ok,
          ...(response.ok ? { value: response.value } : { error: response.error }),
          durationMs: performance.now() - started,
        });
      }
      return response;
    } finally {
      this.inFlight--;
      if (!this.exited) {
        this.host.bus.emit({ type: 'proc.counters', pid: this.pid, counters: { ...this.counters } });
        if (this.inFlight === 0) this.setState('running');
      }
    }
  }

  /**
   * Asks the sandbox for needs of one of the kernel's operations (reading another process, writing
   * to another agent): a grant of this client's, or the user's answer (the process is `blocked`
   * meanwhile). Throws CAPABILITY_DENIED otherwise; every decision is audited.
   */
  async authorize(operation: string, needs: NeededCapability[], args: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    if (needs.length === 0) return;
    if (this.exited) throw new KernelError('INVALID_STATE', `process ${this.pid} (${this.agentId}) has exited`);
    await this.host.authorize(operation, needs, args, {
      pid: this.pid,
      agentId: this.agentId,
      agentName: this.name,
      policy: 'strict',
      signal: AbortSignal.any([signal, this.controller.signal]),
      onBlocked: (reason) => {
        if (this.exited) return;
        if (reason) this.host.bus.emit({ type: 'proc.state', pid: this.pid, state: 'blocked', slot: null, reason });
        else this.setState(this.inFlight > 0 ? 'waiting' : 'running');
      },
    });
  }

  /** The session ended: the process exits (once), and any call still running is aborted. */
  close(reason = 'the MCP session closed'): void {
    if (this.exited) return;
    if (!isTerminal(this.host.table.get(this.pid).state)) {
      this.host.bus.emit({ type: 'proc.exited', pid: this.pid, state: 'exited', exit: { code: 0, reason } });
    }
    this.ended();
  }

  private ended(): void {
    if (this.exited) return;
    this.exited = true;
    this.stopWatching();
    this.controller.abort();
    this.onExit(this);
  }

  private setState(state: ProcessState): void {
    if (this.exited || isTerminal(this.host.table.get(this.pid).state)) return;
    this.host.bus.emit({ type: 'proc.state', pid: this.pid, state, slot: null });
  }
}
