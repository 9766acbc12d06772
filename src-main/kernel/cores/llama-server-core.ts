import { basename } from 'node:path';
import { z } from 'zod';
import type { CoreCapabilities } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { keyedDigest } from '../core/kernel-key.js';
import {
  readRemoteKvReference,
  writeRemoteKvReference,
  type GenerateOptions,
  type GenerateResult,
  type GenerationCursor,
  type LlmBackend,
  type LlmSlot,
  type StopReason,
  type Token,
} from '../llm/index.js';
import type { FaultReporter, RemoteCore } from './core.js';
import { RemoteCoreBase } from './remote-core-base.js';
import { callIdempotent, callJson, callStream, CoreFault, printable, type RemoteTarget } from './remote-http.js';

/**
 * llama.cpp's server as a core. Endpoints as in the llama.cpp source node-llama-cpp bundles
 * (tools/server/README.md, server-context.cpp): GET /health, GET /props (`total_slots`,
 * `model_path`, `default_generation_settings.n_ctx` = each slot's context), POST /tokenize,
 * POST /completion (token-array prompt: no BOS added; `id_slot` pins the slot, `cache_prompt`
 * reuses its prefix, `grammar` is GBNF, `stream` sends `content` + `tokens` per token and a last
 * event with `stop: true`), POST /slots/{id}?action=save|restore|erase (save/restore need
 * `--slot-save-path`, else 501 "not supported").
 */

const Props = z.object({
  total_slots: z.number().int().min(1).max(256),
  model_path: z.string().max(4096),
  default_generation_settings: z.object({ n_ctx: z.number().int().positive() }).passthrough(),
}).passthrough();

const StreamEvent = z.object({
  content: z.string().max(65_536).optional(),
  tokens: z.array(z.number().int().nonnegative()).max(4096).optional(),
  stop: z.boolean().optional(),
  stop_type: z.string().max(64).optional(),
  timings: z.object({ prompt_n: z.number().int().nonnegative().optional() }).passthrough().optional(),
}).passthrough();

/** Tokenized on both sides: the same file name could hide another model, the same tokens hardly. */
const PROBE_TEXT = 'The kernel checks that this core tokenizes like the loaded model: 12345, ÄÖÜ, {"step": 1}.';

export class LlamaServerCore extends RemoteCoreBase implements RemoteCore {
  readonly kind = 'llama-server' as const;
  model: string | null = null;
  capabilities: CoreCapabilities = { kvSaveRestore: false, slotPinning: true, grammar: true };
  slots: LlamaServerSlot[] = [];
  /** Each slot's context (tokens), from /props. */
  contextSize = 0;

  constructor(
    name: string,
    url: string,
    tokenEnv: string | null,
    target: RemoteTarget,
    reportFault: FaultReporter,
    /** The kernel key: slot file names on the server are MACs, so another client of the server cannot predict one. */
    readonly slotKey: Buffer,
  ) {
    super(name, url, tokenEnv, target, reportFault);
  }

  async probe(llm: LlmBackend, allocate: () => number): Promise<string | null> {
    const started = performance.now();
    const health = await callIdempotent(this.target, { method: 'GET', path: '/health' });
    if (health.status !== 200) throw new CoreFault(`${this.url}/health answered ${health.status} (a server still loading its model answers 503)`);
    this.latencyMs = performance.now() - started;
    const props = Props.safeParse((await callIdempotent(this.target, { method: 'GET', path: '/props' })).body);
    if (!props.success) throw new CoreFault(`${this.url}/props did not answer llama-server's properties (total_slots, model_path, n_ctx)`);
    this.model = printable(basename(props.data.model_path));
    this.contextSize = props.data.default_generation_settings.n_ctx;
    this.llm = llm;
    if (this.slots.length !== props.data.total_slots) this.slots = Array.from({ length: props.data.total_slots }, (_, id) => new LlamaServerSlot(allocate(), id, this));
    this.capabilities = { ...this.capabilities, kvSaveRestore: await this.canSaveSlots() };
    if (this.model !== llm.info.name) return `serves ${this.model}, and the kernel has ${llm.info.name} loaded`;
    if (this.contextSize < llm.info.contextSize) return `its slots hold ${this.contextSize} tokens, the kernel's ${llm.info.contextSize}: start it with --ctx-size ${llm.info.contextSize * this.slots.length}`;
    const tokenized = await callIdempotent(this.target, { method: 'POST', path: '/tokenize', body: { content: PROBE_TEXT, add_special: false } });
    const remote = z.object({ tokens: z.array(z.number()).max(4096) }).safeParse(tokenized.body);
    const local = llm.tokenize(PROBE_TEXT);
    if (!remote.success || remote.data.tokens.length !== local.length || remote.data.tokens.some((token, index) => token !== local[index])) {
      return `it names ${this.model} but does not tokenize like the loaded model: another model behind the same file name`;
    }
    return null;
  }

  /** A save with a name the server must refuse: 400 (bad name) when saving works, 501 without --slot-save-path. */
  private async canSaveSlots(): Promise<boolean> {
    const { status } = await callJson(this.target, { method: 'POST', path: '/slots/0?action=save', body: { filename: '../amk-probe' } });
    return status === 400;
  }

}

class LlamaServerSlot implements LlmSlot {
  /** The tokens the server's slot holds, as far as the kernel knows; the server itself keeps the longest common prefix. */
  private cached: Token[] = [];

  constructor(
    readonly index: number,
    private readonly remoteId: number,
    private readonly core: LlamaServerCore,
  ) {}

  get cachedTokens(): number {
    return this.cached.length;
  }

  /** The server's grammar starts over with each request, so a step cut short is generated again. */
  canResume(cursor: GenerationCursor): boolean {
    return cursor.tokens.length === 0;
  }

  async generate(prompt: readonly Token[], options: GenerateOptions): Promise<GenerateResult> {
    if (prompt.length === 0) throw new KernelError('INVALID_REQUEST', 'cannot generate from an empty prompt');
    // A lease handed out just before the core went down (or was removed): nothing is sent.
    if (this.core.health === 'down') throw new CoreFault(`core ${this.core.name} is down: ${this.core.reason ?? 'no reason given'}`);
    if ((options.resume?.tokens.length ?? 0) > 0) throw new KernelError('INVALID_STATE', `core ${this.core.name} cannot go on from a cut-short step: generate it again`);
    if (prompt.length + options.maxTokens > this.core.contextSize) {
      throw new KernelError('INVALID_REQUEST', `prompt of ${prompt.length} tokens plus ${options.maxTokens} to generate exceeds core ${this.core.name}'s ${this.core.contextSize}-token slot`);
    }
    const started = performance.now();
    const tokens: Token[] = [];
    let text = '';
    let stopReason: StopReason | null = null;
    let evaluated = prompt.length;
    let events = 0;
    const request = this.core.track(options.signal);
    this.cached = [...prompt];
    try {
      await callStream(
        this.core.target,
        {
          method: 'POST',
          path: '/completion',
          signal: request.signal,
          body: {
            prompt,
            n_predict: options.maxTokens,
            temperature: options.temperature,
            ...(options.seed === undefined ? {} : { seed: options.seed }),
            ...(options.grammar ? { grammar: options.grammar.gbnf } : {}),
            id_slot: this.remoteId,
            cache_prompt: true,
            stream: true,
            return_tokens: true,
          },
        },
        (raw) => {
          // A token per event, plus the last: an engine that streams on without tokens is cut off.
          if (++events > options.maxTokens * 2 + 16) throw new CoreFault(`core ${this.core.name} streamed more events than the ${options.maxTokens} tokens asked for`);
          const event = StreamEvent.safeParse(raw);
          if (!event.success) throw new CoreFault(`core ${this.core.name} sent a completion event of the wrong shape`);
          for (const token of event.data.tokens ?? []) {
            tokens.push(token);
            options.onToken?.();
          }
          if (event.data.content) {
            text += event.data.content;
            options.onText?.(event.data.content);
          }
          if (event.data.stop) {
            stopReason = event.data.stop_type === 'limit' ? 'max-tokens' : 'eos';
            // The engine's count, within what was sent: it is metered, and a lie must not inflate it.
            evaluated = Math.min(event.data.timings?.prompt_n ?? evaluated, prompt.length);
            return true;
          }
          if (options.isComplete?.(text)) stopReason = 'complete';
          else if (tokens.length >= options.maxTokens) stopReason = 'max-tokens';
          // Closing the request stops the server's generation (it checks the connection each token).
          return stopReason !== null;
        },
      );
    } catch (error) {
      const fault = request.fault() ?? (error instanceof CoreFault ? error : null);
      if (fault) this.core.reportFault(fault.message);
      throw fault ?? error;
    } finally {
      request.done();
      this.cached.push(...this.spelling(tokens, text));
    }
    const fault = request.fault();
    if (fault) {
      this.core.reportFault(fault.message);
      throw fault;
    }
    if (stopReason === null) {
      if (!options.signal?.aborted) {
        const lost = new CoreFault(`core ${this.core.name} ended a completion without its last event`);
        this.core.reportFault(lost.message);
        throw lost;
      }
      stopReason = 'aborted';
    }
    return { tokens: this.spelling(tokens, text), text, grammarState: undefined, stopReason, evaluatedPromptTokens: evaluated, durationMs: performance.now() - started };
  }

  /**
   * The tokens that go into the agent's context (the next prompts, on any core). The engine's
   * own are kept only when they are exactly the loaded model's tokens of the checked text: a
   * lying engine could send ids past the vocabulary (every later prompt then fails, on any core)
   * or tokens that spell something other than the step it reported. Otherwise the text is
   * tokenized here (the server re-evaluates from where the two differ: a little prefill, nothing else).
   */
  private spelling(tokens: Token[], text: string): Token[] {
    const local = this.core.llm?.tokenize(text) ?? [];
    return tokens.length === local.length && tokens.every((token, index) => token === local[index]) ? tokens : local;
  }

  async clear(): Promise<void> {
    this.cached = [];
    await this.slotAction('erase', {});
  }

  holdsPrefix(tokens: readonly Token[]): boolean {
    return this.cached.length >= tokens.length && tokens.every((token, index) => this.cached[index] === token);
  }

  /** The server has no range erase: the next request keeps only the prefix before the first range. */
  async erase(ranges: readonly { start: number; end: number }[]): Promise<void> {
    if (ranges.length === 0) return;
    this.cached = this.cached.slice(0, Math.min(...ranges.map((range) => range.start)));
  }

  /** The state stays on the server (its --slot-save-path); the kernel's file holds a reference to it. */
  async saveState(path: string): Promise<number> {
    if (!this.core.capabilities.kvSaveRestore) throw new KernelError('KV_STATE_INVALID', `core ${this.core.name} cannot save slots (start llama-server with --slot-save-path)`);
    // Unpredictable without the kernel key: a co-tenant of the server cannot restore (read) or overwrite an agent's state by name.
    const filename = `amk-${keyedDigest(this.core.slotKey, `${this.core.name}\n${path}`).slice(0, 32)}.bin`;
    await this.slotAction('save', { filename });
    return writeRemoteKvReference(path, { core: this.core.name, filename, tokens: [...this.cached] });
  }

  async loadState(path: string): Promise<void> {
    const reference = await readRemoteKvReference(path);
    if (reference.core !== this.core.name) throw new KernelError('KV_STATE_INVALID', `that KV state is on core ${reference.core}, not ${this.core.name}`);
    await this.slotAction('restore', { filename: reference.filename });
    this.cached = [...reference.tokens];
  }

  private async slotAction(action: 'save' | 'restore' | 'erase', body: object): Promise<void> {
    try {
      const { status } = await callJson(this.core.target, { method: 'POST', path: `/slots/${this.remoteId}?action=${action}`, body });
      // The answer is not quoted: an engine's text goes into errors only through remote-http's quote().
      if (status !== 200) throw new KernelError('KV_STATE_INVALID', `core ${this.core.name} refused slot ${action} (${status})`);
    } catch (error) {
      if (error instanceof CoreFault) this.core.reportFault(error.message);
      throw error;
    }
  }

  dispose(): void {}
}
