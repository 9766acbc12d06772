import { z } from 'zod';
import type { CoreCapabilities } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import type { GenerateOptions, GenerateResult, GenerationCursor, LlmBackend, LlmSlot, StopReason, Token } from '../llm/index.js';
import type { FaultReporter, RemoteCore } from './core.js';
import { RemoteCoreBase } from './remote-core-base.js';
import { callIdempotent, callStream, CoreFault, printable, type RemoteTarget } from './remote-http.js';

/** Requests the kernel sends to one OpenAI-compatible engine at once (it batches them itself). */
export const OPENAI_CONCURRENCY = 4;

const Models = z.object({ data: z.array(z.object({ id: z.string().max(256) }).passthrough()).max(10_000) }).passthrough();
const Chunk = z.object({
  choices: z.array(z.object({ delta: z.object({ content: z.string().max(65_536).nullish() }).passthrough().optional(), finish_reason: z.string().max(64).nullish() }).passthrough()).max(16),
}).passthrough();

/**
 * Any OpenAI-compatible engine (vLLM, SGLang, Ollama, LM Studio, a hosted endpoint, llama-server's
 * /v1): POST /v1/chat/completions, streamed, with the step schema as `response_format`
 * json_schema. It takes messages, not tokens, so it may serve another model than the kernel's; it
 * has no KV save/restore and no slot pinning: a preempted or moved agent is re-prefilled, relying
 * on the engine's own prefix cache. Its output is checked as any step is.
 */
export class OpenAiCore extends RemoteCoreBase implements RemoteCore {
  readonly kind = 'openai' as const;
  model: string | null;
  readonly capabilities: CoreCapabilities = { kvSaveRestore: false, slotPinning: false, grammar: true };
  slots: OpenAiSlot[] = [];

  constructor(
    name: string,
    url: string,
    tokenEnv: string | null,
    target: RemoteTarget,
    reportFault: FaultReporter,
    readonly wanted: string | null,
  ) {
    super(name, url, tokenEnv, target, reportFault);
    this.model = wanted;
  }

  async probe(llm: LlmBackend, allocate: () => number): Promise<string | null> {
    const started = performance.now();
    const answer = await callIdempotent(this.target, { method: 'GET', path: '/v1/models' });
    if (answer.status === 401 || answer.status === 403) return `it refused the credentials (${answer.status})${this.tokenEnv ? `: check ${this.tokenEnv}` : ': set one with --token-env'}`;
    const models = Models.safeParse(answer.body);
    if (answer.status !== 200 || !models.success) throw new CoreFault(`${this.url}/v1/models did not answer a model list (${answer.status})`);
    this.latencyMs = performance.now() - started;
    const ids = models.data.data.map((model) => printable(model.id));
    this.model = this.wanted ?? ids[0] ?? null;
    this.llm = llm;
    if (this.slots.length === 0) this.slots = Array.from({ length: OPENAI_CONCURRENCY }, () => new OpenAiSlot(allocate(), this));
    if (!this.model) return 'it lists no model';
    if (this.wanted && !ids.includes(this.wanted)) return `it does not list the model ${this.wanted}`;
    return null;
  }

}

class OpenAiSlot implements LlmSlot {
  readonly cachedTokens = 0;

  constructor(
    readonly index: number,
    private readonly core: OpenAiCore,
  ) {}

  canResume(cursor: GenerationCursor): boolean {
    return cursor.tokens.length === 0;
  }

  async generate(prompt: readonly Token[], options: GenerateOptions): Promise<GenerateResult> {
    const llm = this.core.llm;
    if (!llm) throw new KernelError('INVALID_STATE', `core ${this.core.name} was not checked yet`);
    if (this.core.health === 'down') throw new CoreFault(`core ${this.core.name} is down: ${this.core.reason ?? 'no reason given'}`);
    if ((options.resume?.tokens.length ?? 0) > 0) throw new KernelError('INVALID_STATE', `core ${this.core.name} cannot go on from a cut-short step: generate it again`);
    // Without the window as messages, the rendered prompt goes as one user message.
    const messages = options.messages ?? [{ role: 'user' as const, text: llm.detokenize(prompt) }];
    const started = performance.now();
    let text = '';
    let stopReason: StopReason | null = null;
    let events = 0;
    const request = this.core.track(options.signal);
    try {
      await callStream(
        this.core.target,
        {
          method: 'POST',
          path: '/v1/chat/completions',
          signal: request.signal,
          body: {
            model: this.core.model,
            messages: messages.map((message) => ({ role: message.role, content: message.text })),
            max_tokens: options.maxTokens,
            temperature: options.temperature,
            ...(options.seed === undefined ? {} : { seed: options.seed }),
            ...(options.grammar ? { response_format: { type: 'json_schema', json_schema: { name: 'agent_step', schema: options.grammar.jsonSchema, strict: true } } } : {}),
            stream: true,
          },
        },
        (raw) => {
          if (++events > options.maxTokens * 2 + 16) throw new CoreFault(`core ${this.core.name} streamed more chunks than the ${options.maxTokens} tokens asked for`);
          const chunk = Chunk.safeParse(raw);
          if (!chunk.success) throw new CoreFault(`core ${this.core.name} sent a chat completion chunk of the wrong shape`);
          const choice = chunk.data.choices[0];
          const piece = choice?.delta?.content ?? '';
          if (piece) {
            text += piece;
            options.onToken?.();
            options.onText?.(piece);
          }
          if (choice?.finish_reason) stopReason = choice.finish_reason === 'length' ? 'max-tokens' : 'eos';
          else if (options.isComplete?.(text)) stopReason = 'complete';
          return stopReason !== null;
        },
      );
    } catch (error) {
      const fault = request.fault() ?? (error instanceof CoreFault ? error : null);
      if (fault) this.core.reportFault(fault.message);
      throw fault ?? error;
    } finally {
      request.done();
    }
    const fault = request.fault();
    if (fault) {
      this.core.reportFault(fault.message);
      throw fault;
    }
    // A stream that ends with [DONE] and no finish_reason still ended.
    stopReason ??= options.signal?.aborted ? 'aborted' : 'eos';
    return { tokens: llm.tokenize(text), text, grammarState: undefined, stopReason, evaluatedPromptTokens: prompt.length, durationMs: performance.now() - started };
  }

  async clear(): Promise<void> {}

  holdsPrefix(tokens: readonly Token[]): boolean {
    return tokens.length === 0;
  }

  async erase(): Promise<void> {}

  async saveState(): Promise<number> {
    throw new KernelError('KV_STATE_INVALID', `core ${this.core.name} is OpenAI-compatible: it has no KV save/restore (the agent is re-prefilled)`);
  }

  async loadState(): Promise<void> {
    throw new KernelError('KV_STATE_INVALID', `core ${this.core.name} is OpenAI-compatible: it has no KV save/restore (the agent is re-prefilled)`);
  }

  dispose(): void {}
}
