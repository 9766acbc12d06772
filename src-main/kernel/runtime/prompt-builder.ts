import { KernelError } from '../core/kernel-error.js';
import type { ChatMessage, LlmBackend, Token } from '../llm/index.js';

/** How a step's outcome comes back in a chat: the result, and what to do with it. */
function resultMessage(record: StepRecord): string {
  if (record.resultText === 'done') return `Result of step ${record.step}: done`;
  if (record.resultText.startsWith('error: ')) return `Step ${record.step} was refused: ${record.resultText.slice(7)}`;
  return `Result of step ${record.step}:\n${readableResult(record.resultText)}\nIf this answers the task, give your final answer with this result.`;
}

/**
 * A tool's JSON result as `key: value` lines, strings unquoted: a small model copies a value from
 * `temperature: 23` far more reliably than out of escaped JSON inside JSON.
 */
export function readableResult(resultText: string): string {
  let value: unknown;
  try {
    value = JSON.parse(resultText);
  } catch {
    return resultText;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return resultText;
  return flatten(value as Record<string, unknown>, '', 0).join('\n');
}

/** Nested objects (and strings holding a JSON object, an HTTP body) become dotted keys, two levels down. */
function flatten(value: Record<string, unknown>, prefix: string, depth: number): string[] {
  return Object.entries(value).flatMap(([key, item]) => {
    let inner: unknown = item;
    if (typeof item === 'string' && item.trimStart().startsWith('{') && depth < 2) {
      try {
        inner = JSON.parse(item);
      } catch {
        inner = item;
      }
    }
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner) && depth < 2) return flatten(inner as Record<string, unknown>, `${prefix}${key}.`, depth + 1);
    return [`${prefix}${key}: ${typeof inner === 'string' ? inner : JSON.stringify(inner)}`];
  });
}

/** One finished step as the model will see it again. */
export interface StepRecord {
  step: number;
  /** The exact tokens the model produced, so the prompt never re-tokenizes its own output. */
  actionTokens: Token[];
  actionText: string;
  /** What the kernel answered: a tool result, or why the step was rejected. */
  resultText: string;
  /** User messages that arrived after this step. */
  inputs: string[];
}

/** Everything that goes into the window, by region. */
export interface ContextState {
  steps: readonly StepRecord[];
  /** Steps before this index are paged out of the window. */
  firstResident: number;
  leadingInputs: readonly string[];
  /** The pinned working-memory block the agent edits by syscall. */
  working: string;
  /** One line standing for what was paged out. */
  summary: string;
  /** Blocks paged back in for this step. */
  recall: readonly { label: string; text: string }[];
}

export interface Span {
  start: number;
  end: number;
}

export interface Regions {
  system: number;
  working: number;
  recall: number;
  fifo: number;
  summary: number;
}

export interface PromptLayout {
  tokens: Token[];
  /** Token spans of resident steps, by step number (plain format only). */
  stepSpans: Map<number, Span>;
  /** The per-step part (working memory, summary, recall) before the open step; null with a chat template. */
  tail: Span | null;
  regions: Regions;
  /** The same window as chat messages, for a core that takes messages (an OpenAI-compatible engine). */
  messages?: ChatMessage[];
}

/**
 * Builds an agent's window: system prompt and task first, then the FIFO of resident steps, then a
 * small tail (working memory, the summary of what was paged out, recalled blocks), then the open
 * step. The stable parts come first, so paging a step out or changing the tail erases only those
 * token ranges from the KV cache and nothing after them is evaluated again. Without a chat
 * template the prompt is built from separately tokenized segments, so appending never changes
 * earlier tokens. A kv handoff's tokens, when given, come before everything.
 */
export class PromptBuilder {
  constructor(
    private readonly llm: LlmBackend,
    private readonly system: string,
    private readonly task: string,
    private readonly prefix: readonly Token[] = [],
  ) {}

  build(state: ContextState, budget: number): PromptLayout {
    const layout = this.render(state, state.leadingInputs);
    if (layout.tokens.length <= budget) return layout;
    // Last resort (the pager keeps the window below its high-water mark): drop the oldest messages before the first step.
    for (let dropped = 1; dropped <= state.leadingInputs.length; dropped++) {
      const shorter = this.render(state, [`(${dropped} earlier messages omitted)`, ...state.leadingInputs.slice(dropped)]);
      if (shorter.tokens.length <= budget) return shorter;
    }
    throw new KernelError('INVALID_STATE', `the system prompt, task and working memory alone exceed the ${budget}-token window`);
  }

  tokenCount(text: string): number {
    return this.llm.tokenize(text).length;
  }

  private tailText(state: ContextState): { working: string; summary: string; recall: string } {
    return {
      working: state.working ? `Working memory: ${state.working}\n` : '',
      summary: state.summary ? `Earlier (paged out): ${state.summary}\n` : '',
      recall: state.recall.length > 0 ? `Recalled from memory:\n${state.recall.map((block) => `- [${block.label}] ${block.text}`).join('\n')}\n` : '',
    };
  }

  private render(state: ContextState, leadingInputs: readonly string[]): PromptLayout {
    const resident = state.steps.slice(state.firstResident);
    const tail = this.tailText(state);
    const chat = this.prefix.length === 0 ? this.llm.formatChat(this.messages(resident, tail, leadingInputs)) : null;
    if (chat) {
      const count = (text: string): number => (text ? this.tokenCount(text) : 0);
      const regions = { system: count(`${this.system}\n${this.task}`), working: count(tail.working), summary: count(tail.summary), recall: count(tail.recall), fifo: 0 };
      regions.fifo = Math.max(0, chat.length - regions.system - regions.working - regions.summary - regions.recall);
      return { tokens: chat, stepSpans: new Map(), tail: null, regions, messages: this.messages(resident, tail, leadingInputs) };
    }
    const leading = leadingInputs.map((text) => `User: ${text}\n`).join('');
    const head = this.prefix.length > 0 ? [...this.prefix, ...this.llm.tokenize('\n\n')] : [...this.llm.bosTokens];
    const tokens: Token[] = [...head, ...this.llm.tokenize(`${this.system}\n\nTask: ${this.task}\n${leading}`)];
    const system = tokens.length;
    const stepSpans = new Map<number, Span>();
    for (const record of resident) {
      const start = tokens.length;
      tokens.push(...this.llm.tokenize(`Step ${record.step}:`), ...record.actionTokens);
      tokens.push(...this.llm.tokenize(`\nResult ${record.step}: ${record.resultText}\n`));
      for (const input of record.inputs) tokens.push(...this.llm.tokenize(`User: ${input}\n`));
      stepSpans.set(record.step, { start, end: tokens.length });
    }
    const fifo = tokens.length - system;
    const tailStart = tokens.length;
    const part = (text: string): number => {
      if (!text) return 0;
      const piece = this.llm.tokenize(text);
      tokens.push(...piece);
      return piece.length;
    };
    const regions = { system, fifo, working: part(tail.working), summary: part(tail.summary), recall: part(tail.recall) };
    const tailSpan = { start: tailStart, end: tokens.length };
    const next = (state.steps.at(-1)?.step ?? 0) + 1;
    tokens.push(...this.llm.tokenize(`Step ${next}:`));
    return { tokens, stepSpans, tail: tailSpan, regions, messages: this.messages(resident, tail, leadingInputs) };
  }

  private messages(steps: readonly StepRecord[], tail: { working: string; summary: string; recall: string }, leadingInputs: readonly string[]): ChatMessage[] {
    const messages: ChatMessage[] = [
      { role: 'system', text: this.system },
      { role: 'user', text: [this.task, ...leadingInputs].join('\n').trim() },
    ];
    for (const record of steps) {
      messages.push({ role: 'assistant', text: record.actionText });
      messages.push({ role: 'user', text: [resultMessage(record), ...record.inputs].join('\n') });
    }
    const extra = `${tail.working}${tail.summary}${tail.recall}`.trim();
    if (extra) messages.push({ role: 'user', text: extra });
    return messages;
  }
}
