/**
 * Long-horizon recall: a conversation more than 10x the window with facts planted through it,
 * then a question about each. The kernel pages old turns out to LanceDB and pages back in by
 * hybrid search; the baseline keeps a FIFO window and truncates. Same model, same turns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelEvent } from '../src-shared/index.js';
import { ContextPager, EventBus, loadLlamaBackend, MemoryManager, PromptBuilder, type LlmBackend, type StepRecord } from '../src-main/kernel/index.js';
import { machineFacts, type BenchOptions, type BenchResult } from './bench-support.js';

const ANIMALS = ['otter', 'heron', 'badger', 'lynx', 'walrus', 'gecko', 'bison', 'falcon', 'marmot', 'ibis', 'newt', 'yak'];
const CODES = ['amber', 'cobalt', 'saffron', 'indigo', 'crimson', 'jade', 'ochre', 'teal', 'umber', 'violet', 'scarlet', 'ivory'];
const FILLER = [
  'The little boat went down the river and the children waved from the bank.',
  'Mom made soup with carrots and the cat slept by the warm fire all day.',
  'In the park a boy found a shiny stone and put it in his pocket.',
  'The rain stopped and a rainbow came out over the hills and the farm.',
  'A small bird sang in the tree while the dog chased a yellow ball.',
];

function turn(llm: LlmBackend, step: number, text: string): StepRecord {
  const actionText = ` ${JSON.stringify({ type: 'final', answer: text })}`;
  return { step, actionText, actionTokens: llm.tokenize(actionText), resultText: 'noted', inputs: [] };
}

async function evaluate(llm: LlmBackend, tokens: number[]): Promise<number> {
  const started = performance.now();
  await llm.slots[0]!.generate(tokens, { temperature: 0, maxTokens: 1 });
  return performance.now() - started;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const facts = Number(options.args.facts ?? 10);
  const contextSize = Number(options.args.context ?? 1024);
  const factor = Number(options.args.factor ?? 12);
  const k = Number(options.args.k ?? 5);
  const window = contextSize - 64;
  const dir = mkdtempSync(join(tmpdir(), 'amk-bench-memory-'));
  const llm = await loadLlamaBackend({ modelPath: options.modelPath, gpu: options.gpu, contextSize, slots: 1, threads: options.threads ?? 1, cacheDir: dir });
  const bus = new EventBus();
  const events: KernelEvent[] = [];
  bus.on((event) => events.push(event));
  const memory = new MemoryManager(join(dir, 'memory'), llm, (body) => bus.emit(body));
  await memory.open();
  try {
    // The conversation: filler turns with a fact planted at evenly spread places.
    const target = factor * window;
    const turns: StepRecord[] = [];
    const planted = new Map<number, { animal: string; code: string; step: number }>();
    let tokens = 0;
    for (let step = 1; tokens < target; step++) {
      const factIndex = planted.size < facts && tokens >= (planted.size + 0.5) * (target / facts) ? planted.size : -1;
      const text =
        factIndex >= 0
          ? `Remember this: the secret code of the ${ANIMALS[factIndex]} is ${CODES[factIndex]}.`
          : FILLER[step % FILLER.length]!;
      if (factIndex >= 0) planted.set(factIndex, { animal: ANIMALS[factIndex]!, code: CODES[factIndex]!, step });
      turns.push(turn(llm, step, text));
      tokens += turns.at(-1)!.actionTokens.length + 12;
    }

    const builder = new PromptBuilder(llm, 'You are a helpful assistant who remembers what you are told.', 'Chat with the user.');
    // Kernel: the pager keeps the window under its high-water mark, paging out and erasing KV ranges.
    const pager = new ContextPager(memory, bus, builder, 1, 'bench-agent', window, [], []);
    let kernelMaintenanceMs = 0;
    for (const record of turns) {
      pager.state.steps.push(record);
      const before = events.length;
      const layout = await pager.prepare('Chat with the user.');
      await pager.enter(llm.slots[0]!, layout);
      const prefill = await evaluate(llm, layout.tokens);
      const paged = events.slice(before).find((e) => e.type === 'memory.paged-out') as { durationMs: number; kvEraseMs: number } | undefined;
      if (paged) kernelMaintenanceMs += paged.durationMs + paged.kvEraseMs + prefill;
    }

    // Baseline: the same turns in a FIFO window; when it overflows, the oldest turns go and the window is prefilled again.
    await llm.slots[0]!.clear();
    const fifo: StepRecord[] = [];
    let baselineReprefillMs = 0;
    const fifoLayout = () => builder.build({ steps: fifo, firstResident: 0, leadingInputs: [], working: '', summary: '', recall: [] }, Number.POSITIVE_INFINITY);
    for (const record of turns) {
      fifo.push(record);
      let layout = fifoLayout();
      if (layout.tokens.length > 0.75 * window) {
        while (layout.tokens.length > 0.5 * window && fifo.length > 1) {
          fifo.shift();
          layout = fifoLayout();
        }
        baselineReprefillMs += await evaluate(llm, layout.tokens);
      } else await evaluate(llm, layout.tokens);
    }

    // Questions.
    let kernelHits = 0;
    let kernelInContext = 0;
    let baselineHits = 0;
    let baselineInContext = 0;
    const baselineText = llm.detokenize(fifoLayout().tokens);
    const recentBlocks = fifo.slice(-k).map((record) => record.step);
    for (const fact of planted.values()) {
      const question = `What is the secret code of the ${fact.animal}?`;
      const found = await memory.search(['bench-agent'], question, k);
      if (found.some((block) => block.blockId === `1-s${fact.step}`)) kernelHits++;
      if (process.env.AMK_BENCH_DEBUG) console.log(JSON.stringify([fact.animal, fact.step, found.map((b) => [b.blockId, b.vectorRank, b.textRank])]));
      const layout = await pager.prepare(question);
      if (llm.detokenize(layout.tokens).includes(`secret code of the ${fact.animal} is ${fact.code}`)) kernelInContext++;
      if (recentBlocks.includes(fact.step)) baselineHits++;
      if (baselineText.includes(`secret code of the ${fact.animal} is ${fact.code}`)) baselineInContext++;
    }
    const questions = planted.size;
    return {
      name: 'memory',
      machine: machineFacts(),
      model: options.modelPath,
      params: { facts: questions, k, context_size: contextSize, window, conversation_tokens: tokens, window_multiple: tokens / window, turns: turns.length, high_water: 0.75, low_water: 0.5 },
      kernel: {
        recall_at_k: kernelHits / questions,
        in_context_share: kernelInContext / questions,
        paging_ms: kernelMaintenanceMs,
        blocks_paged_out: await memory.count('bench-agent'),
      },
      baseline: { recall_at_k: baselineHits / questions, in_context_share: baselineInContext / questions, reprefill_ms: baselineReprefillMs, kind: 'FIFO window, truncated' },
      ratios: { page_out_vs_reprefill_time: kernelMaintenanceMs / baselineReprefillMs, recall_vs_baseline: baselineHits === 0 ? null : kernelHits / baselineHits },
    };
  } finally {
    memory.dispose();
    await llm.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
