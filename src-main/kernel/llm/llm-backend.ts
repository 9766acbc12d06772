import type { KvType, ModelInfo } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';

export type Token = number;

export type GpuChoice = 'auto' | 'cpu' | 'cuda' | 'vulkan' | 'metal';

export interface LlmLoadOptions {
  modelPath: string;
  gpu: GpuChoice;
  /** Decode threads; omitted picks the deliberate default (see `defaultThreadCount`). */
  threads?: number;
  /** Tokens per sequence slot; `auto` fits the largest the free VRAM (or RAM) allows, up to the trained size. */
  contextSize: number | 'auto';
  /** Layers to offload to the GPU; `auto` (the default) fits as many as free VRAM allows. */
  gpuLayers?: number | 'auto';
  /** Sequences that agents run in at the same time. */
  slots: number;
  /** Where to cache model hashes so a big file is hashed once. */
  cacheDir?: string;
  kvType?: KvType;
  /** A dedicated embedding model (GGUF); without one, the loaded model embeds. */
  embeddingModelPath?: string;
  /** Called as llama.cpp reads the weights, from 0 to 1. */
  onLoadProgress?: (progress: number) => void;
}

/** A compiled output constraint: the model can only emit text this grammar accepts. */
export interface OutputGrammar {
  readonly jsonSchema: object;
  /** The same constraint as GBNF text, for a remote llama.cpp server. */
  readonly gbnf: string;
}

/** Where a cut-short generation stopped, so it can go on as if never interrupted. */
export interface GenerationCursor {
  readonly tokens: readonly Token[];
  readonly text: string;
  /** The grammar's parse state after those tokens (opaque to callers). */
  readonly grammarState: unknown;
}

export interface GenerateOptions {
  grammar?: OutputGrammar;
  /** Continue a generation that stopped early; the prompt must not include its tokens. */
  resume?: GenerationCursor;
  temperature: number;
  seed?: number;
  maxTokens: number;
  signal?: AbortSignal;
  /** Called after each generated token, before `shouldYield`. */
  onToken?: () => void;
  /** Called after each generated token; true asks generation to pause here (a preemption). */
  shouldYield?: () => boolean;
  /** Called with each decoded piece of text as it is produced. */
  onText?: (text: string) => void;
  /** Stop as soon as the text produced so far is a complete answer. */
  isComplete?: (text: string) => boolean;
  /** The same prompt as chat messages, for an engine that takes messages rather than tokens (an OpenAI-compatible core). */
  messages?: readonly ChatMessage[];
}

export type StopReason = 'complete' | 'max-tokens' | 'eos' | 'aborted' | 'yielded';

export interface GenerateResult extends GenerationCursor {
  /** All tokens of this generation, including those of a resumed cursor. */
  tokens: Token[];
  text: string;
  stopReason: StopReason;
  /** Prompt tokens actually evaluated (those not already in the slot's KV cache). */
  evaluatedPromptTokens: number;
  durationMs: number;
}

/** One sequence of the shared context: an agent's KV cache while it holds the slot. */
export interface LlmSlot extends Disposable {
  readonly index: number;
  /** Generate a continuation of `prompt`, reusing whatever prefix of it is already in the KV cache. */
  generate(prompt: readonly Token[], options: GenerateOptions): Promise<GenerateResult>;
  clear(): Promise<void>;
  /** Tokens whose KV state the slot holds now. */
  readonly cachedTokens: number;
  /** Writes the slot's KV state to a file; returns its size in bytes. */
  saveState(path: string): Promise<number>;
  /** Replaces the slot's KV state with one saved by `saveState` from the same model. */
  loadState(path: string): Promise<void>;
  /** True when the slot's KV cache holds exactly these tokens first. */
  holdsPrefix(tokens: readonly Token[]): boolean;
  /**
   * Erases token ranges ([start, end)) from the KV cache; later tokens shift down and keep their
   * state, so nothing after a removed range is evaluated again.
   */
  erase(ranges: readonly { start: number; end: number }[]): Promise<void>;
  /**
   * Whether a cursor cut short elsewhere (another slot, another core) can go on here token for
   * token; when not, the step is generated again from its start.
   */
  canResume(cursor: GenerationCursor): boolean;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  text: string;
}

export interface LlmBackend extends Disposable {
  readonly info: ModelInfo;
  tokenize(text: string): Token[];
  detokenize(tokens: readonly Token[]): string;
  /** Beginning-of-sequence token(s) the model expects at the start of a prompt. */
  readonly bosTokens: readonly Token[];
  compileGrammar(jsonSchema: object): Promise<OutputGrammar>;
  /**
   * Renders a conversation with the model's own chat template, ending in an open assistant turn;
   * null when the model has none (then callers use a plain completion format).
   */
  formatChat(messages: readonly ChatMessage[]): Token[] | null;
  /** The sequence slots of the shared context; the scheduler decides who uses which. */
  readonly slots: readonly LlmSlot[];
  /** An embedding of the text, from the embedding model when one is configured, else the loaded model. */
  embed(text: string): Promise<number[]>;
  readonly hasEmbeddingModel: boolean;
}
