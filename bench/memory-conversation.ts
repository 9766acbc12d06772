/**
 * The memory benchmark's conversation and its two ways of holding it: the kernel's pager (pages
 * old turns out to LanceDB, back in by hybrid search) and a truncating chat (drops the oldest turns
 * and prefills the window again). Both are fed the same turns on the same slot.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ContextPager, EventBus, MemoryManager, PromptBuilder, type LlmBackend, type StepRecord } from '../src-main/kernel/index.js';
import type { PromptLayout } from '../src-main/kernel/runtime/prompt-builder.js';
import { FILLER, type MemoryFact } from './memory-questions.js';

export const SYSTEM = 'You are a helpful assistant. You remember what the user tells you and answer questions about it in a few words.';
export const TASK = 'Chat with the user.';
export const AGENT = 'bench-agent';

export interface Conversation {
  turns: StepRecord[];
  /** The step each fact (and each distractor) was told in, by fact index. */
  factStep: number[];
  distractorStep: number[];
  tokens: number;
}

/** A fixed shuffle (a small LCG), so every run and both models see the same order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Varied, so a small model asked a question does not just copy the last acknowledgement. */
const ACKNOWLEDGEMENTS = ['Noted.', 'Got it.', 'Okay, I will remember that.', 'Understood.', 'Thanks for telling me.'];

function turn(llm: LlmBackend, step: number, said: string): StepRecord {
  // The user speaks after each acknowledgement, as a message arriving while an agent runs.
  const actionText = ACKNOWLEDGEMENTS[step % ACKNOWLEDGEMENTS.length]!;
  return { step, actionText, actionTokens: llm.tokenize(actionText), resultText: 'done', inputs: [said] };
}

/**
 * Filler with the facts and distractors at evenly spread places (the last ones land inside the
 * final window, so truncation is not zero by construction), about `target` tokens in all.
 */
export function buildConversation(llm: LlmBackend, facts: readonly MemoryFact[], target: number): Conversation {
  const planted = shuffled(
    facts.flatMap((item, index) => [{ index, text: item.fact, distractor: false }, { index, text: item.distractor, distractor: true }]),
    7,
  );
  const perTurn = (text: string): number => llm.tokenize(text).length + 16;
  const fillerTokens = target - planted.reduce((sum, p) => sum + perTurn(p.text), 0);
  const fillerPerGap = Math.max(1, Math.round(fillerTokens / planted.length / perTurn(FILLER[0]!)));
  const turns: StepRecord[] = [];
  const factStep: number[] = [];
  const distractorStep: number[] = [];
  let tokens = 0;
  let filler = 0;
  const say = (text: string): number => {
    turns.push(turn(llm, turns.length + 1, text));
    tokens += perTurn(text);
    return turns.length;
  };
  for (const item of planted) {
    for (let i = 0; i < fillerPerGap; i++) say(FILLER[filler++ % FILLER.length]!);
    const step = say(item.text);
    (item.distractor ? distractorStep : factStep)[item.index] = step;
  }
  // A few turns after the last fact, so it is not the very last thing said.
  for (let i = 0; i < 2; i++) say(FILLER[filler++ % FILLER.length]!);
  return { turns, factStep, distractorStep, tokens };
}

/** The runtime's page-in query for a turn: the task and the newest user message (agent-process.ts). */
export const pageInQuery = (said: string): string => `${TASK}\n${said}`;

async function prefill(llm: LlmBackend, tokens: number[]): Promise<number> {
  const started = performance.now();
  await llm.slots[0]!.generate(tokens, { temperature: 0, maxTokens: 1 });
  return performance.now() - started;
}

export interface KernelSide {
  pager: ContextPager;
  memory: MemoryManager;
  builder: PromptBuilder;
  /** Page-out, KV erase and the prefill that follows, summed over the turns that paged out. */
  pagingMs: number;
  /** The whole conversation, every turn's prepare and prefill. */
  conversationMs: number;
}

/** Feeds the conversation through the kernel's pager; the memory store lives in `dir`. */
export async function feedKernel(llm: LlmBackend, conversation: Conversation, window: number, dir: string): Promise<KernelSide> {
  mkdirSync(dir, { recursive: true });
  const bus = new EventBus();
  let paged: { durationMs: number; kvEraseMs: number } | null = null;
  bus.on((event) => {
    if (event.type === 'memory.paged-out') paged = event;
  });
  const memory = new MemoryManager(join(dir, 'memory'), llm, (body) => bus.emit(body));
  await memory.open();
  if (!memory.status.available) throw new Error(`bench: memory unavailable: ${memory.status.reason}`);
  const builder = new PromptBuilder(llm, SYSTEM, TASK);
  const pager = new ContextPager(memory, bus, builder, 1, AGENT, window, [], []);
  await llm.slots[0]!.clear();
  let pagingMs = 0;
  const started = performance.now();
  for (const record of conversation.turns) {
    pager.state.steps.push(record);
    paged = null;
    const layout = await pager.prepare(pageInQuery(record.inputs[0]!));
    await pager.enter(llm.slots[0]!, layout);
    const prefillMs = await prefill(llm, layout.tokens);
    const event = paged as { durationMs: number; kvEraseMs: number } | null;
    if (event) pagingMs += event.durationMs + event.kvEraseMs + prefillMs;
  }
  return { pager, memory, builder, pagingMs, conversationMs: performance.now() - started };
}

/**
 * A truncating chat: the same turns in a FIFO window; past the same high-water mark the oldest
 * turns go down to the same low-water mark and the window is prefilled again (its prefix changed).
 */
export async function feedTruncation(llm: LlmBackend, conversation: Conversation, window: number): Promise<{ reprefillMs: number; conversationMs: number }> {
  const builder = new PromptBuilder(llm, SYSTEM, TASK);
  const fifo: StepRecord[] = [];
  const layoutOf = (): PromptLayout => builder.build({ steps: fifo, firstResident: 0, leadingInputs: [], working: '', summary: '', recall: [] }, Number.POSITIVE_INFINITY);
  await llm.slots[0]!.clear();
  let reprefillMs = 0;
  const started = performance.now();
  for (const record of conversation.turns) {
    fifo.push(record);
    let layout = layoutOf();
    if (layout.tokens.length > 0.75 * window) {
      while (layout.tokens.length > 0.5 * window && fifo.length > 1) {
        fifo.shift();
        layout = layoutOf();
      }
      reprefillMs += await prefill(llm, layout.tokens);
    } else await prefill(llm, layout.tokens);
  }
  return { reprefillMs, conversationMs: performance.now() - started };
}

/**
 * The truncation peer's window for a question: the newest turns that fit the whole window with
 * the question (the strongest truncation: it uses all of the window, where the kernel keeps a
 * quarter for recalled blocks). Returns the first step kept.
 */
export function truncatedWindow(llm: LlmBackend, turns: readonly StepRecord[], question: string, window: number): { layout: PromptLayout; firstStep: number } {
  const builder = new PromptBuilder(llm, SYSTEM, TASK);
  const last = turns.at(-1)!;
  const steps = [...turns.slice(0, -1), { ...last, inputs: [...last.inputs, question] }];
  const build = (first: number): PromptLayout => builder.build({ steps, firstResident: first, leadingInputs: [], working: '', summary: '', recall: [] }, Number.POSITIVE_INFINITY);
  // The fewest dropped turns that fit: the size falls as `first` grows, so search for the boundary.
  let lo = 0;
  let hi = steps.length - 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (build(mid).tokens.length <= window) hi = mid;
    else lo = mid + 1;
  }
  return { layout: build(lo), firstStep: steps[lo]!.step };
}
