import type { KernelEventBody } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';
import { toErrorPayload } from '../core/kernel-error.js';
import { MemoryStore, type MemoryBlock, type RecalledBlock } from './memory-store.js';

export interface PageOutBlock {
  blockId: string;
  role: string;
  text: string;
  tokens: number;
  createdAt: number;
}

export interface MemoryEmbedder {
  embed(text: string): Promise<number[]>;
  /** True when a dedicated embedding model makes the vectors (a generative model's are weaker for retrieval). */
  readonly hasEmbeddingModel: boolean;
}

/**
 * How much the vector ranking counts against the full-text one. A generative model's hidden
 * states are a poor retrieval embedding, so without a dedicated embedding model the full-text
 * ranking leads. `npm run bench -- memory` (paraphrased questions that share no rare word with
 * their facts) is where this shows: with all-MiniLM-L6-v2 both count the same and the kernel
 * recalls 10 of 12 held-back questions; with the chat model embedding, 1 of 12 (vector only: 2).
 */
export function vectorWeight(embedder: MemoryEmbedder): number {
  return embedder.hasEmbeddingModel ? 1 : 0.3;
}

/** The first sentence, cut short: what the running summary and the UI show of a block. */
export function summarize(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const sentence = /^(.{10,}?[.!?])\s/.exec(flat)?.[1] ?? flat;
  return sentence.length > max ? `${sentence.slice(0, max - 1)}…` : sentence;
}

/**
 * The swap disk for context: pages blocks out to the LanceDB store with embeddings, and finds them
 * again. When the store cannot be used, the manager says why and agents run on without it (their
 * journal keeps everything); it never takes the kernel down.
 */
export class MemoryManager implements Disposable {
  private store: MemoryStore | null = null;
  private problem: string | null = 'not opened yet';

  constructor(
    private readonly directory: string,
    private readonly embedder: MemoryEmbedder,
    private readonly emit: (body: KernelEventBody) => void,
  ) {}

  async open(): Promise<void> {
    try {
      const dimensions = (await this.embedder.embed('dimensions')).length;
      this.store = await MemoryStore.open(this.directory, dimensions);
      this.problem = null;
    } catch (error) {
      this.problem = toErrorPayload(error).message;
    }
    this.emit({ type: 'memory.status', available: this.store !== null, reason: this.problem });
  }

  get status(): { available: boolean; reason: string | null } {
    return { available: this.store !== null, reason: this.problem };
  }

  /** Stores blocks; returns the error when they could not be stored (the caller goes on without). */
  async pageOut(pid: number, agentId: string, blocks: readonly PageOutBlock[]): Promise<string | null> {
    if (!this.store) return this.problem ?? 'long-term memory is unavailable';
    try {
      const pagedAt = Date.now();
      const rows = [];
      for (const block of blocks) {
        rows.push({ ...block, agentId, pid, summary: summarize(block.text), pagedAt, vector: await this.embedder.embed(block.text) });
      }
      await this.store.add(rows);
      return null;
    } catch (error) {
      return toErrorPayload(error).message;
    }
  }

  async search(agentIds: readonly string[], query: string, k: number): Promise<RecalledBlock[]> {
    if (!this.store) return [];
    return this.store.search(agentIds, query, await this.embedder.embed(query), k, vectorWeight(this.embedder));
  }

  async count(agentId: string): Promise<number> {
    return this.store ? this.store.count(agentId) : 0;
  }

  async list(agentId: string): Promise<MemoryBlock[]> {
    return this.store ? this.store.list(agentId) : [];
  }

  dispose(): void {
    this.store?.close();
    this.store = null;
  }
}
