import {
  getLlama,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatWrapper,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';
import type { GpuBackend, GpuStatus, KvType, ModelInfo } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { isRemoteKvReference } from './remote-kv-reference.js';
import type {
  ChatMessage,
  GenerationCursor,
  GenerateOptions,
  GenerateResult,
  GpuChoice,
  LlmBackend,
  LlmLoadOptions,
  LlmSlot,
  OutputGrammar,
  StopReason,
  Token,
} from './llm-backend.js';
import { describeModelFile, modelSha256 } from './model-file.js';
import { defaultThreadCount } from './threads.js';

const llamaByChoice = new Map<GpuChoice, Promise<Llama>>();

/** One llama.cpp runtime per process and GPU choice; GPU detection happens here. */
function sharedLlama(gpu: GpuChoice): Promise<Llama> {
  let pending = llamaByChoice.get(gpu);
  if (!pending) {
    pending = getLlama({
      gpu: gpu === 'cpu' ? false : gpu,
      logLevel: LlamaLogLevel.error,
      build: 'never',
      progressLogs: false,
    });
    llamaByChoice.set(gpu, pending);
    pending.catch(() => llamaByChoice.delete(gpu));
  }
  return pending;
}

/** What llama.cpp finds for a GPU choice, without loading a model (the models screen shows it). */
export async function detectGpu(choice: GpuChoice): Promise<GpuStatus> {
  try {
    const llama = await sharedLlama(choice);
    const backend: GpuBackend = llama.gpu === false ? 'cpu' : llama.gpu;
    const vram = backend === 'cpu' ? null : await llama.getVramState();
    return {
      choice,
      backend,
      devices: backend === 'cpu' ? [] : await llama.getGpuDeviceNames(),
      vram: vram ? { totalBytes: vram.total, usedBytes: vram.used } : null,
      error: null,
    };
  } catch (error) {
    return { choice, backend: 'cpu', devices: [], vram: null, error: `llama.cpp could not start with gpu=${choice}: ${(error as Error).message}` };
  }
}

const KV_GGML = { q8_0: 'Q8_0', q4_0: 'Q4_0' } as const;

function metadataNumber(model: LlamaModel, key: string): number | undefined {
  const architecture = model.fileInfo.metadata.general?.architecture as string | undefined;
  let value: unknown = architecture ? (model.fileInfo.metadata as Record<string, unknown>)[architecture] : undefined;
  for (const part of key.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return typeof value === 'number' ? value : undefined;
}

function modelHeadDim(model: LlamaModel): number {
  const embedding = metadataNumber(model, 'embedding_length') ?? 0;
  const heads = metadataNumber(model, 'attention.head_count') ?? 1;
  return metadataNumber(model, 'attention.key_length') ?? Math.max(1, Math.floor(embedding / heads));
}

/** Keys and values for every layer: 2 × layers × kv heads × head dim elements, at the type's bytes per element. */
function kvBytesPerToken(model: LlamaModel, headDim: number, kvType: KvType): number {
  const layers = metadataNumber(model, 'block_count') ?? 0;
  const kvHeads = metadataNumber(model, 'attention.head_count_kv') ?? metadataNumber(model, 'attention.head_count') ?? 1;
  const bytesPerElement = kvType === 'f16' ? 2 : kvType === 'q8_0' ? 34 / 32 : 18 / 32;
  return 2 * layers * kvHeads * headDim * bytesPerElement;
}

/**
 * node-llama-cpp's JSON grammar allows pretty-printing (a newline and indentation before each key). A
 * small model takes it, spends its step budget on spaces and loses its place; one line it keeps.
 */
export function compactJsonGrammar(grammar: string): string {
  return grammar
    .split('\n')
    .map((line) => {
      const rule = /^((comma-)?whitespace-[\w-]+) ::= /.exec(line);
      if (!rule) return line;
      return `${rule[1]} ::= ${rule[2] ? '"," ' : ''}[ ]?`;
    })
    .join('\n');
}

class LlamaGrammarHandle implements OutputGrammar {
  constructor(
    readonly jsonSchema: object,
    readonly grammar: LlamaGrammar,
  ) {}

  get gbnf(): string {
    return this.grammar.grammar;
  }
}

export async function loadLlamaBackend(options: LlmLoadOptions): Promise<LlmBackend> {
  // The header is checked first: a damaged or cut-off file gets a reason, not a crash inside llama.cpp.
  const file = await describeModelFile(options.modelPath);
  const llama = await sharedLlama(options.gpu);
  let model: LlamaModel;
  try {
    model = await llama.loadModel({
      modelPath: file.path,
      gpuLayers: options.gpuLayers ?? 'auto',
      ...(options.onLoadProgress ? { onLoadProgress: options.onLoadProgress } : {}),
    });
  } catch (error) {
    throw new KernelError('MODEL_INVALID', `llama.cpp could not load ${file.path}: ${(error as Error).message}`, {
      path: file.path,
    });
  }
  const threads = options.threads ?? defaultThreadCount();
  const headDim = modelHeadDim(model);
  const kvType = options.kvType ?? 'f16';
  if (kvType !== 'f16' && headDim % 32 !== 0) {
    await model.dispose();
    throw new KernelError(
      'MODEL_INVALID',
      `KV cache type ${kvType} needs a head dimension that is a multiple of 32 (llama.cpp's quant block); ${file.name} has ${headDim}. Use --kv f16.`,
    );
  }
  let context: LlamaContext;
  try {
    context = await model.createContext({
      contextSize: options.contextSize === 'auto' ? { min: 512, max: model.trainContextSize } : Math.min(options.contextSize, model.trainContextSize),
      sequences: options.slots,
      threads,
      ...(kvType === 'f16'
        ? {}
        : // llama.cpp quantizes the V cache only with flash attention.
          { experimentalKvCacheKeyType: KV_GGML[kvType], experimentalKvCacheValueType: KV_GGML[kvType], flashAttention: true }),
    });
  } catch (error) {
    await model.dispose();
    throw new KernelError('MODEL_INVALID', `could not create a context for ${file.name}: ${(error as Error).message}`);
  }
  const backend: GpuBackend = llama.gpu === false ? 'cpu' : llama.gpu;
  const vram = backend === 'cpu' ? null : await llama.getVramState();
  const info: ModelInfo = {
    path: file.path,
    name: file.name,
    sizeBytes: file.sizeBytes,
    sha256: await modelSha256(file, options.cacheDir),
    trainContextSize: model.trainContextSize,
    contextSize: context.contextSize,
    slots: options.slots,
    hasChatTemplate: typeof model.fileInfo.metadata.tokenizer?.chat_template === 'string',
    backend,
    devices: backend === 'cpu' ? [] : await llama.getGpuDeviceNames(),
    vram: vram ? { totalBytes: vram.total, usedBytes: vram.used } : null,
    gpuLayers: model.gpuLayers,
    totalLayers: model.fileInsights.totalLayers,
    threads,
    kvType,
    headDim,
    kvBytesPerToken: kvBytesPerToken(model, headDim, kvType),
  };
  return new LlamaBackend(llama, model, context, info, threads, options.embeddingModelPath);
}

class LlamaBackend implements LlmBackend {
  readonly slots: LlamaSlot[] = [];
  readonly bosTokens: readonly Token[];
  private readonly chatWrapper: ChatWrapper | null;

  private embedder: Promise<LlamaEmbeddingContext> | null = null;
  private embeddingModel: LlamaModel | null = null;

  constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly info: ModelInfo,
    private readonly threads: number,
    private readonly embeddingModelPath?: string,
  ) {
    for (let index = 0; index < info.slots; index++) {
      const slot = new LlamaSlot(index, context.getSequence(), model);
      this.slots.push(slot);
    }
    this.bosTokens = model.tokens.bos === null ? [] : [model.tokens.bos];
    this.chatWrapper = info.hasChatTemplate ? resolveChatWrapper(model) : null;
  }

  formatChat(messages: readonly ChatMessage[]): Token[] | null {
    if (!this.chatWrapper) return null;
    const chatHistory: ChatHistoryItem[] = messages.map((message) =>
      message.role === 'assistant' ? { type: 'model', response: [message.text] } : { type: message.role, text: message.text },
    );
    chatHistory.push({ type: 'model', response: [] });
    const { contextText } = this.chatWrapper.generateContextState({ chatHistory });
    return contextText.tokenize(this.model.tokenizer) as Token[];
  }

  tokenize(text: string): Token[] {
    return this.model.tokenize(text) as Token[];
  }

  detokenize(tokens: readonly Token[]): string {
    return this.model.detokenize(tokens as never[]);
  }

  get hasEmbeddingModel(): boolean {
    return this.embeddingModelPath !== undefined;
  }

  async embed(text: string): Promise<number[]> {
    this.embedder ??= (async () => {
      let source = this.model;
      if (this.embeddingModelPath) {
        const file = await describeModelFile(this.embeddingModelPath);
        this.embeddingModel = await this.llama.loadModel({ modelPath: file.path });
        source = this.embeddingModel;
      }
      return source.createEmbeddingContext({ contextSize: Math.min(512, source.trainContextSize), threads: this.threads });
    })();
    const embedder = await this.embedder;
    // An embedding context takes one batch: longer text is embedded by its head, which carries its gist.
    const tokens = (this.embeddingModel ?? this.model).tokenize(text).slice(0, 500);
    const { vector } = await embedder.getEmbeddingFor(tokens);
    return [...vector];
  }

  async compileGrammar(jsonSchema: object): Promise<OutputGrammar> {
    const pretty = await this.llama.createGrammarForJsonSchema(jsonSchema as never);
    const grammar = await this.llama.createGrammar({ grammar: compactJsonGrammar(pretty.grammar) });
    return new LlamaGrammarHandle(jsonSchema, grammar);
  }

  async dispose(): Promise<void> {
    if (this.embedder) await (await this.embedder.catch(() => null))?.dispose();
    await this.embeddingModel?.dispose();
    for (const slot of this.slots) await slot.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}

class LlamaSlot implements LlmSlot {
  constructor(
    readonly index: number,
    private readonly sequence: LlamaContextSequence,
    private readonly model: LlamaModel,
  ) {}

  /** Drops the KV cells after the longest prefix shared with `prompt`; returns what is left to evaluate. */
  private async alignTo(prompt: readonly Token[]): Promise<Token[]> {
    const current = this.sequence.nextTokenIndex;
    let keep = this.sequence.compareContextTokens(prompt as never[]).firstDifferentIndex;
    // The last prompt token must be evaluated again to get logits for the next one.
    if (keep >= prompt.length) keep = prompt.length - 1;
    if (keep < current) await this.sequence.eraseContextTokenRanges([{ start: keep, end: current }]);
    return prompt.slice(keep) as Token[];
  }

  async generate(prompt: readonly Token[], options: GenerateOptions): Promise<GenerateResult> {
    if (prompt.length === 0) throw new KernelError('INVALID_REQUEST', 'cannot generate from an empty prompt');
    if (prompt.length + (options.resume?.tokens.length ?? 0) + options.maxTokens > this.sequence.contextSize) {
      throw new KernelError(
        'INVALID_REQUEST',
        `prompt of ${prompt.length} tokens plus ${options.maxTokens} to generate exceeds the slot's ${this.sequence.contextSize}-token context`,
      );
    }
    const started = performance.now();
    const resumed = options.resume;
    const input = await this.alignTo([...prompt, ...(resumed?.tokens ?? [])]);
    const grammar = options.grammar as LlamaGrammarHandle | undefined;
    // llama.cpp's sampler advances the grammar as it samples, so a kept state is exactly where generation stopped.
    const grammarEvaluationState =
      (resumed?.grammarState as LlamaGrammarEvaluationState | undefined) ??
      (grammar ? new LlamaGrammarEvaluationState({ model: this.model, grammar: grammar.grammar }) : undefined);
    const tokens: Token[] = [...(resumed?.tokens ?? [])];
    const firstNew = tokens.length;
    let text = resumed?.text ?? '';
    let stopReason: StopReason = 'eos';
    const iterator = this.sequence.evaluate(input as never[], {
      temperature: options.temperature,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(grammarEvaluationState ? { grammarEvaluationState } : {}),
    });
    try {
      for await (const token of iterator) {
        tokens.push(token as Token);
        options.onToken?.();
        const decoded = this.model.detokenize(tokens as never[]);
        // Hold back a piece that ends inside a multi-byte character.
        if (!decoded.endsWith('\uFFFD')) {
          const piece = decoded.slice(text.length);
          text = decoded;
          if (piece) options.onText?.(piece);
        }
        if (options.isComplete?.(text)) {
          stopReason = 'complete';
          break;
        }
        if (tokens.length - firstNew >= options.maxTokens) {
          stopReason = 'max-tokens';
          break;
        }
        if (options.signal?.aborted) {
          stopReason = 'aborted';
          break;
        }
        if (options.shouldYield?.()) {
          stopReason = 'yielded';
          break;
        }
      }
    } finally {
      await iterator.return();
    }
    const final = this.model.detokenize(tokens as never[]);
    if (stopReason !== 'aborted' && stopReason !== 'yielded' && final.length > text.length) {
      options.onText?.(final.slice(text.length));
      text = final;
    }
    return {
      tokens,
      text,
      grammarState: grammarEvaluationState,
      stopReason,
      evaluatedPromptTokens: input.length,
      durationMs: performance.now() - started,
    };
  }

  async clear(): Promise<void> {
    await this.sequence.clearHistory();
  }

  /** A cursor from a remote core carries no llama.cpp grammar state to go on from. */
  canResume(cursor: GenerationCursor): boolean {
    return cursor.grammarState === undefined || cursor.grammarState instanceof LlamaGrammarEvaluationState;
  }

  get cachedTokens(): number {
    return this.sequence.nextTokenIndex;
  }

  async saveState(path: string): Promise<number> {
    const { fileSize } = await this.sequence.saveStateToFile(path);
    return fileSize;
  }

  async loadState(path: string): Promise<void> {
    // A remote core's saved state is a reference to a file on that server, never llama.cpp state bytes.
    if (await isRemoteKvReference(path)) throw new KernelError('KV_STATE_INVALID', 'a remote core\'s KV state cannot be loaded into the local model');
    await this.sequence.loadStateFromFile(path, { acceptRisk: true });
  }

  holdsPrefix(tokens: readonly Token[]): boolean {
    if (this.sequence.nextTokenIndex < tokens.length) return false;
    return this.sequence.compareContextTokens(tokens as never[]).firstDifferentIndex >= tokens.length;
  }

  async erase(ranges: readonly { start: number; end: number }[]): Promise<void> {
    if (ranges.length === 0) return;
    await this.sequence.eraseContextTokenRanges(ranges.map((range) => ({ ...range })));
  }

  async dispose(): Promise<void> {
    if (!this.sequence.disposed) await this.sequence.dispose();
  }
}
