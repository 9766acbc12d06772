import type {
  AgentAction,
  AgentManifest,
  ExitStatus,
  Priority,
  ProcessCounters,
  ProcessState,
  SyscallRequest,
  SyscallResponse,
} from '../../../src-shared/index.js';
import { emptyCounters } from '../../../src-shared/index.js';
import type { EventBus } from '../core/event-bus.js';
import { KernelError, toErrorPayload } from '../core/kernel-error.js';
import type { SyscallDispatcher } from '../core/syscall-dispatcher.js';
import type { GenerationCursor, LlmBackend, OutputGrammar, Token } from '../llm/index.js';
import type { SnapshotMeta, SnapshotStore } from '../ipc/index.js';
import type { SliceEnd, SlotScheduler } from '../scheduler/index.js';
import type { ToolRegistry } from '../tools/index.js';
import { PromptBuilder, readableResult, type PromptLayout, type StepRecord } from './prompt-builder.js';
import { ContextPager } from './context-pager.js';
import type { MemoryManager } from '../memory/index.js';
import type { RecoveredHistory } from './recovery.js';
import { describeTools, isCompleteJson, parseAction, stepSchema, validateAgentArgs } from './step-protocol.js';

export interface AgentHost {
  readonly llm: LlmBackend;
  readonly scheduler: SlotScheduler;
  readonly dispatcher: SyscallDispatcher;
  readonly bus: EventBus;
  readonly tools: ToolRegistry;
  readonly snapshots: SnapshotStore;
  readonly memory: MemoryManager;
  /** Take a snapshot after every N finished steps; 0 turns automatic snapshots off. */
  readonly snapshotEverySteps: number;
}

export interface AgentOptions {
  session: boolean;
  history?: RecoveredHistory;
  counters?: ProcessCounters;
  /** A kv handoff: the sender's tokens, whose KV state the scheduler loads before the first step. */
  prefix?: Token[];
}

/** At most this many messages wait for an agent; past that, senders are told to back off. */
export const MAILBOX_CAPACITY = 64;

const COUNTER_INTERVAL_MS = 250;

/**
 * One agent as a kernel process: generate a step, run it through the syscall dispatcher,
 * append the result, repeat until a final answer, a kill, or the step limit.
 */
export class AgentProcess {
  private readonly killSwitch = new AbortController();
  private stepSwitch: AbortController | null = null;
  private suspended: { resume: () => void; wait: Promise<void> } | null = null;
  private terminal = false;
  private lastSlot: number | null = null;
  private partial: GenerationCursor | null = null;
  private counters: ProcessCounters = emptyCounters();
  private lastCounterEmit = 0;
  private readonly steps: StepRecord[];
  private readonly leadingInputs: string[];
  private readonly pendingInputs: string[] = [];
  /** The model repeated a call it has the result of: its next step may only be a final answer. */
  private answerNext = false;
  /** Set by user input: the next step runs at interrupt priority. */
  private boosted = false;
  private inputGate: (() => void) | null = null;
  /** Index in `steps` where the current turn began; the step limit counts per turn. */
  private turnStart = 0;
  /** Scheduling counters from before a restart: this kernel's scheduler counts from zero again. */
  private readonly schedulingBase = { preemptions: 0, swapsOut: 0, swapsIn: 0 };

  constructor(
    private readonly host: AgentHost,
    readonly pid: number,
    readonly manifest: AgentManifest,
    private readonly task: string,
    public priority: Priority,
    private readonly options: AgentOptions = { session: false },
  ) {
    if (options.counters) {
      this.counters = { ...options.counters };
      this.schedulingBase = { preemptions: options.counters.preemptions, swapsOut: options.counters.swapsOut, swapsIn: options.counters.swapsIn };
    }
    this.steps = options.history?.steps ?? [];
    this.leadingInputs = options.history?.leadingInputs ?? [];
    // Steps taken before a restart count against the limit: the turn began after the last user message.
    this.turnStart = this.steps.findLastIndex((step) => step.inputs.length > 0) + 1;
  }

  /** A message: attached at the next step boundary. User input (`urgent`) runs that step at interrupt priority. */
  deliver(text: string, urgent = true): number {
    if (this.terminal) throw new KernelError('INVALID_STATE', `process ${this.pid} has exited`);
    if (this.pendingInputs.length >= MAILBOX_CAPACITY) {
      throw new KernelError('INVALID_STATE', `process ${this.pid}'s mailbox is full (${MAILBOX_CAPACITY} messages waiting): try again later`);
    }
    this.pendingInputs.push(text);
    if (urgent) this.boosted = true;
    this.inputGate?.();
    return this.pendingInputs.length;
  }

  /** The tokens the KV state stands for after the last slice, for snapshots. */
  private knownTokens: number[] = [];

  private snapshotMeta(tokens: readonly number[]): SnapshotMeta {
    return {
      pid: this.pid,
      agentId: this.manifest.id,
      tokens: [...tokens],
      steps: this.steps.map((step) => ({ ...step, actionTokens: [...step.actionTokens], inputs: [...step.inputs] })),
      leadingInputs: [...this.leadingInputs],
    };
  }

  /** `proc.snapshot` of a process that is not decoding: its resident KV state, taken at once. */
  async snapshotNow(): Promise<boolean> {
    if (this.knownTokens.length === 0) return false;
    const taken = await this.host.scheduler.withResidentSlot(this.pid, (slot) => this.host.snapshots.capture(slot, this.snapshotMeta(this.knownTokens)));
    return taken !== null && taken !== undefined;
  }

  private pager: ContextPager | null = null;

  /** `memory.pin`: the pinned working-memory block, shown from the next step on. */
  setWorkingMemory(text: string): void {
    if (this.pager) this.pager.state.working = text;
  }

  private async attachInputs(): Promise<void> {
    for (const raw of this.pendingInputs.splice(0)) {
      const text = this.pager ? await this.pager.absorb(raw, 'input') : raw;
      const last = this.steps.at(-1);
      if (last) last.inputs.push(text);
      else this.leadingInputs.push(text);
      this.host.bus.emit({ type: 'proc.input', pid: this.pid, afterStep: last?.step ?? 0, text });
      this.turnStart = this.steps.length;
    }
  }

  /** In a session, an answered interactive agent waits here for the next user message. */
  private async waitForInput(): Promise<void> {
    if (this.pendingInputs.length > 0) return;
    this.setState('waiting', null, 'waiting for user input');
    await new Promise<void>((resolve) => (this.inputGate = resolve));
    this.inputGate = null;
  }

  get isTerminal(): boolean {
    return this.terminal;
  }

  async run(): Promise<void> {
    try {
      const tools = this.manifest.tools.map((name) => this.host.tools.manifest(name));
      const grammar = await this.host.llm.compileGrammar(stepSchema(this.manifest, tools));
      const toolSteps = Math.max(this.manifest.model.toolSteps, this.manifest.model.toolFirst ? 1 : 0);
      const toolGrammar = toolSteps > 0 && tools.length > 0 ? await this.host.llm.compileGrammar(stepSchema(this.manifest, tools, true)) : grammar;
      const answerGrammar = tools.length > 0 ? await this.host.llm.compileGrammar(stepSchema(this.manifest, [])) : grammar;
      const system = `${this.manifest.systemPrompt}\n\n${describeTools(tools)}`;
      const prompt = new PromptBuilder(this.host.llm, system, this.task, this.options.prefix ?? []);
      const window = this.host.llm.info.contextSize - this.manifest.model.maxTokensPerStep;
      this.pager = new ContextPager(this.host.memory, this.host.bus, prompt, this.pid, this.manifest.id, window, this.steps, this.leadingInputs);
      let layout: PromptLayout | null = null;
      while (!this.terminal) {
        if (!this.partial) await this.attachInputs();
        if (this.steps.length - this.turnStart >= this.manifest.model.maxSteps) {
          this.exit('exited', { code: 2, reason: `step limit of ${this.manifest.model.maxSteps} reached without a final answer` });
          return;
        }
        await this.suspended?.wait;
        if (this.terminal) return;
        if (!this.partial || !layout) layout = await this.pager.prepare([this.task, ...this.leadingInputs.slice(-1), ...(this.steps.at(-1)?.inputs.slice(-1) ?? [])].join('\n'));
        const finished = await this.generateStep(layout, this.steps.length < toolSteps ? toolGrammar : this.answerNext ? answerGrammar : grammar);
        if (finished) await this.act(finished.text, finished.tokens);
      }
    } catch (error) {
      if (this.terminal) return;
      const payload = toErrorPayload(error);
      this.exit('crashed', { code: 1, reason: `${payload.code}: ${payload.message}` });
    }
  }

  /**
   * Runs the model for one step, or for as much of it as this slice allows; returns undefined when
   * the step was cut short (preempted or suspended) and will go on from its cursor next time.
   */
  private async generateStep(layout: PromptLayout, grammar: OutputGrammar) {
    const step = this.steps.length + 1;
    this.setState('ready', null);
    const priority = this.boosted ? { ...this.priority, class: 'realtime' as const } : this.priority;
    const lease = await this.host.scheduler.acquire({ pid: this.pid, priority, signal: this.killSwitch.signal });
    this.stepSwitch = new AbortController();
    const signal = AbortSignal.any([this.killSwitch.signal, this.stepSwitch.signal]);
    let endedBy: SliceEnd = 'step-end';
    try {
      if (this.terminal || this.suspended) return undefined;
      this.setState('running', lease.slot.index, undefined, lease.core);
      if (this.partial && !lease.slot.canResume(this.partial)) {
        // Cut short on one core and placed on another that cannot go on from its tokens (a remote
        // core's grammar restarts with each request): the step is generated again from its start.
        this.host.bus.emit({ type: 'proc.step-interrupted', pid: this.pid, step, reason: `continued on core ${lease.core}: the step is generated again` });
        this.partial = null;
      }
      await this.pager!.enter(lease.slot, layout);
      const promptTokens = layout.tokens;
      this.counters.contextTokens = promptTokens.length + (this.partial?.tokens.length ?? 0);
      const result = await lease.slot.generate(promptTokens, {
        grammar,
        ...(layout.messages ? { messages: layout.messages } : {}),
        temperature: this.manifest.model.temperature,
        ...(this.manifest.model.seed === undefined ? {} : { seed: this.manifest.model.seed }),
        maxTokens: this.manifest.model.maxTokensPerStep - (this.partial?.tokens.length ?? 0),
        signal,
        ...(this.partial ? { resume: this.partial } : {}),
        isComplete: isCompleteJson,
        onToken: () => lease.charge(1),
        shouldYield: () => lease.shouldYield(),
        onText: (text) => {
          if (!this.terminal) this.host.bus.emit({ type: 'proc.output', pid: this.pid, step, text });
        },
      });
      const produced = result.tokens.length - (this.partial?.tokens.length ?? 0);
      this.counters.contextTokens = promptTokens.length + result.tokens.length;
      this.meter(result.evaluatedPromptTokens, produced, result.durationMs);
      if (result.stopReason === 'aborted' || result.stopReason === 'yielded') {
        endedBy = this.terminal ? 'killed' : result.stopReason === 'yielded' ? (lease.preemptedBy !== null ? 'preempted' : 'quantum') : 'suspended';
        this.partial = result;
        return undefined;
      }
      this.partial = null;
      this.boosted = false;
      this.knownTokens = [...promptTokens, ...result.tokens];
      const every = this.host.snapshotEverySteps;
      if (every > 0 && (this.steps.length + 1) % every === 0) await this.host.snapshots.capture(lease.slot, this.snapshotMeta(this.knownTokens));
      return result;
    } catch (error) {
      if (this.terminal || !(error instanceof KernelError) || error.code !== 'CORE_UNAVAILABLE') throw error;
      // The core died mid-step (it is marked down and its slots left the pool): nothing of this
      // step was committed, so it is generated again on another core, from the journaled steps.
      this.host.bus.emit({ type: 'proc.step-interrupted', pid: this.pid, step, reason: error.message });
      this.partial = null;
      endedBy = 'preempted';
      if (this.host.scheduler.slotCount === 0) this.suspend(`${error.message}; no other core serves the model: resume it once one is up`);
      return undefined;
    } finally {
      this.stepSwitch = null;
      lease.release(endedBy);
      const stats = this.host.scheduler.stats(this.pid);
      this.counters.preemptions = this.schedulingBase.preemptions + stats.preemptions;
      this.counters.swapsOut = this.schedulingBase.swapsOut + stats.swapsOut;
      this.counters.swapsIn = this.schedulingBase.swapsIn + stats.swapsIn;
    }
  }

  /** Validates the step and turns it into a syscall; a bad step is reported back to the model. */
  private async act(text: string, tokens: number[]): Promise<void> {
    const step = this.steps.length + 1;
    let action: AgentAction;
    try {
      action = parseAction(text, this.manifest.tools);
      if (action.type === 'tool') validateAgentArgs(this.manifest, action.tool, action.args, this.host.tools);
    } catch (error) {
      const payload = toErrorPayload(error);
      this.host.bus.emit({ type: 'proc.step-rejected', pid: this.pid, step, error: payload });
      await this.record(step, text, tokens, `error: ${payload.message}`);
      return;
    }
    this.answerNext = false;
    const failed = action.type === 'tool' ? this.earlierFailure(text) : undefined;
    if (failed) {
      // The same call would fail the same way: it is refused unrun, with the earlier error in the context.
      const payload = toErrorPayload(new KernelError('INVALID_REQUEST', `it repeats step ${failed.step}, which failed (${failed.resultText.slice(7)}): change the arguments`));
      this.host.bus.emit({ type: 'proc.step-rejected', pid: this.pid, step, error: payload });
      await this.record(step, text, tokens, `error: ${payload.message}`);
      return;
    }
    const repeated = action.type === 'tool' ? this.earlierSuccess(text) : undefined;
    if (repeated) {
      // A small model under greedy decoding repeats a call whose result it already has, forever:
      // the call is not run again, and the next step may only answer.
      const payload = toErrorPayload(new KernelError('INVALID_REQUEST', `it repeats step ${repeated.step}. Answer now with the result of step ${repeated.step}:\n${readableResult(repeated.resultText)}`));
      this.host.bus.emit({ type: 'proc.step-rejected', pid: this.pid, step, error: payload });
      await this.record(step, text, tokens, `error: ${payload.message}`);
      this.answerNext = true;
      return;
    }
    this.host.bus.emit({ type: 'proc.step', pid: this.pid, step, action });
    if (action.type === 'final') {
      await this.record(step, text, tokens, 'done');
      if (this.options.session && this.manifest.kind === 'interactive') await this.waitForInput();
      else await this.syscall({ call: 'proc.exit', answer: action.answer });
      return;
    }
    this.setState('waiting', null);
    this.counters.toolCalls++;
    const started = performance.now();
    const response = await this.syscall({ call: 'tool.call', tool: action.tool, args: action.args });
    if (this.terminal) return;
    this.host.bus.emit({
      type: 'proc.tool-result',
      pid: this.pid,
      step,
      tool: action.tool,
      ok: response.ok,
      ...(response.ok ? { value: response.value } : { error: response.error }),
      durationMs: performance.now() - started,
    });
    await this.record(step, text, tokens, response.ok ? JSON.stringify(response.value) : `error: ${response.error.message}`);
  }

  /** A tool call of this turn with exactly this text that succeeded. */
  private earlierSuccess(text: string): StepRecord | undefined {
    return this.steps.slice(this.turnStart).find((step) => step.actionText.trim() === text.trim() && !step.resultText.startsWith('error: '));
  }

  /** A tool call of this turn with exactly this text that failed. */
  private earlierFailure(text: string): StepRecord | undefined {
    return this.steps.slice(this.turnStart).find((step) => step.actionText.trim() === text.trim() && step.resultText.startsWith('error: '));
  }

  private async record(step: number, actionText: string, actionTokens: number[], resultText: string): Promise<void> {
    const kept = this.pager ? await this.pager.absorb(resultText, 'result') : resultText;
    this.steps.push({ step, actionText, actionTokens, resultText: kept, inputs: [] });
    this.counters.steps = this.steps.length;
    this.emitCounters(true);
  }

  private meter(promptTokens: number, producedTokens: number, durationMs: number): void {
    this.counters.tokensIn += promptTokens;
    this.counters.tokensOut += producedTokens;
    if (this.host.llm.info.backend === 'cpu') this.counters.cpuMs += durationMs;
    else this.counters.gpuMs += durationMs;
    this.counters.tokensPerSecond = durationMs > 0 ? (producedTokens * 1000) / durationMs : 0;
    this.emitCounters(false);
  }

  private emitCounters(force: boolean): void {
    const now = Date.now();
    if (this.terminal || (!force && now - this.lastCounterEmit < COUNTER_INTERVAL_MS)) return;
    this.lastCounterEmit = now;
    this.host.bus.emit({ type: 'proc.counters', pid: this.pid, counters: { ...this.counters } });
  }

  private setState(state: ProcessState, slot: number | null, reason?: string, core?: string): void {
    if (this.terminal) return;
    this.host.bus.emit({ type: 'proc.state', pid: this.pid, state, slot, ...(core ? { core } : {}), ...(reason ? { reason } : {}) });
  }

  private syscall(request: SyscallRequest): Promise<SyscallResponse> {
    this.counters.syscalls++;
    return this.host.dispatcher.dispatch(this.pid, request, this.killSwitch.signal);
  }

  /** Takes effect at the next token boundary; the step in progress goes on from there on resume. */
  suspend(reason = 'suspended by request'): void {
    if (this.terminal || this.suspended) return;
    let resume = (): void => {};
    const wait = new Promise<void>((resolve) => (resume = resolve));
    this.suspended = { resume, wait };
    this.stepSwitch?.abort();
    this.setState('suspended', null, reason);
  }

  resume(): void {
    const gate = this.suspended;
    if (!gate || this.terminal) return;
    this.suspended = null;
    this.setState('ready', null, 'resumed');
    gate.resume();
  }

  get isSuspended(): boolean {
    return this.suspended !== null;
  }

  kill(reason = 'killed'): void {
    this.exit('exited', { code: 137, reason });
  }

  /** Stops the process without an exit: on kernel shutdown, so a restart finds it still live and recovers it. */
  halt(): void {
    this.terminal = true;
    this.killSwitch.abort(new KernelError('INVALID_STATE', 'kernel shutting down'));
    this.suspended?.resume();
    this.inputGate?.();
  }

  /** The one way out: emits the final counters and the exit, stops everything in flight. */
  exit(state: 'exited' | 'crashed', status: ExitStatus): void {
    if (this.terminal) return;
    this.emitCounters(true);
    this.terminal = true;
    this.host.bus.emit({ type: 'proc.exited', pid: this.pid, state, exit: status });
    this.killSwitch.abort(new KernelError('INVALID_STATE', status.reason));
    this.suspended?.resume();
    this.inputGate?.();
  }
}
