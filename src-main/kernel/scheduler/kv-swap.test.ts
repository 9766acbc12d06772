import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testModelPath, tempDir } from '../../test-support/fixtures.js';
import { loadLlamaBackend, type LlmBackend } from '../llm/index.js';
import { KvSwapper } from './kv-swap.js';

describe('KvSwapper', () => {
  let llm: LlmBackend;
  const disk = tempDir('amk-swap-test-');
  beforeAll(async () => {
    llm = await loadLlamaBackend({ modelPath: testModelPath(), gpu: 'cpu', threads: 1, contextSize: 256, slots: 1 });
    await llm.slots[0]!.generate([...llm.bosTokens, ...llm.tokenize('Once upon a time')], { temperature: 0, maxTokens: 8 });
  });
  afterAll(async () => {
    await llm.dispose();
    disk.dispose();
  });

  // Found by CI: a kernel shutting down while a swap-out was still writing removed the RAM swap
  // folder under it (ENOTEMPTY) and the shutdown failed.
  it('waits for a swap-out under way before removing its folder, and refuses new swaps after', async () => {
    const identity = { modelSha256: 'test', kvType: 'f16' as const, contextSize: 256, sequences: 1 };
    const swapper = new KvSwapper('ram', disk.path, identity);
    const swapping = swapper.swapOut(1, llm.slots[0]!);
    const disposed = swapper.dispose();
    const state = await swapping;
    await disposed;
    expect(state.bytes).toBeGreaterThan(0);
    if (state.path.startsWith('/dev/shm/')) expect(existsSync(state.path)).toBe(false);
    else expect(readdirSync(disk.path)).toContain('pid-1.kv');
    await expect(swapper.swapOut(2, llm.slots[0]!)).rejects.toThrow(/shut down/);
  });
});
