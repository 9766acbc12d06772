import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testModelPath } from '../../test-support/fixtures.js';
import { EventBus } from '../core/event-bus.js';
import { loadLlamaBackend, type LlmBackend } from '../llm/index.js';
import { MemoryManager } from '../memory/index.js';
import { ContextPager } from './context-pager.js';
import { PromptBuilder, type StepRecord } from './prompt-builder.js';

/**
 * Paging with a long system prompt: the system prompt, the summary and a full recall region
 * together pass the low-water mark. The last step's recall (which page-in replaces anyway) used
 * to count against that mark, so the pager evicted every resident step, the newest included,
 * and the model never saw what the user had just said.
 */
describe('context pager', { timeout: 120_000 }, () => {
  const dir = tempDir('amk-pager-');
  let llm: LlmBackend;
  let memory: MemoryManager;

  beforeAll(async () => {
    llm = await loadLlamaBackend({ modelPath: testModelPath(), gpu: 'cpu', contextSize: 1024, slots: 1, threads: 1 });
    memory = new MemoryManager(join(dir.path, 'memory'), llm, () => undefined);
    await memory.open();
  });
  afterAll(async () => {
    memory.dispose();
    await llm.dispose();
    dir.dispose();
  });

  it('keeps the newest step resident and the window within bounds when recall and the system prompt are large', async () => {
    const window = 600;
    const system = `You help the user. ${'Always answer briefly and politely. '.repeat(6)}`;
    const builder = new PromptBuilder(llm, system, 'Chat with the user.');
    const pager = new ContextPager(memory, new EventBus(), builder, 1, 'pager-test', window, [], []);
    expect(builder.tokenCount(system)).toBeGreaterThan(0.2 * window);
    for (let step = 1; step <= 40; step++) {
      const said = `The box number ${step} holds a red ball and a green cup.`;
      const actionText = 'Noted.';
      const record: StepRecord = { step, actionText, actionTokens: llm.tokenize(actionText), resultText: 'done', inputs: [said] };
      pager.state.steps.push(record);
      const layout = await pager.prepare(`Chat with the user.\n${said}`);
      expect(pager.state.firstResident).toBeLessThan(pager.state.steps.length);
      expect(llm.detokenize(layout.tokens)).toContain(said);
      expect(layout.tokens.length).toBeLessThanOrEqual(window);
    }
    // Paging happened, and page-in brought blocks back: the case the old accounting got wrong.
    expect(await memory.count('pager-test')).toBeGreaterThan(0);
    expect(pager.state.recall.length).toBeGreaterThan(0);
  });
});
