import { KernelError } from '../core/kernel-error.js';
import type { ChatMessage, LlmBackend, Token } from '../llm/index.js';

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

/**
 * Builds an agent's prompt. With a chat template the history is rendered as turns; without one
 * (tiny base models) it is a plain completion transcript built from separately tokenized
 * segments, so appending a step never changes the tokens before it and the KV prefix is reused.
 */
export class PromptBuilder {
  constructor(
    private readonly llm: LlmBackend,
    private readonly system: string,
    private readonly task: string,
    /** Another agent's context, handed over as tokens whose KV state is loaded ahead (a kv handoff). */
    private readonly prefix: readonly Token[] = [],
  ) {}

  /**
   * The prompt for the next step, within `budget` tokens. Until the pager takes over, the oldest
   * steps are left out (and the model told how many) when the whole history does not fit.
   */
  build(steps: readonly StepRecord[], budget: number, leadingInputs: readonly string[] = []): Token[] {
    for (let omitted = 0; omitted <= steps.length; omitted++) {
      const tokens = this.render(steps.slice(omitted), omitted, leadingInputs);
      if (tokens.length <= budget) return tokens;
    }
    // Then the oldest of the messages that came before the first step.
    for (let dropped = 1; dropped <= leadingInputs.length; dropped++) {
      const kept = [`(${dropped} earlier messages omitted)`, ...leadingInputs.slice(dropped)];
      const tokens = this.render([], steps.length, kept);
      if (tokens.length <= budget) return tokens;
    }
    throw new KernelError('INVALID_STATE', `the system prompt and task alone exceed the ${budget}-token budget of a step`);
  }

  private render(steps: readonly StepRecord[], omitted: number, leadingInputs: readonly string[]): Token[] {
    const note = omitted > 0 ? `(${omitted} earlier steps omitted)\n` : '';
    // A handed-over context continues as plain text after the sender's tokens.
    const chat = this.prefix.length === 0 ? this.llm.formatChat(this.messages(steps, note, leadingInputs)) : null;
    if (chat) return chat;
    const leading = leadingInputs.map((text) => `User: ${text}\n`).join('');
    const head = this.prefix.length > 0 ? [...this.prefix, ...this.llm.tokenize('\n\n')] : [...this.llm.bosTokens];
    const tokens: Token[] = [...head, ...this.llm.tokenize(`${this.system}\n\nTask: ${this.task}\n${leading}${note}`)];
    for (const record of steps) {
      tokens.push(...this.llm.tokenize(`Step ${record.step}:`), ...record.actionTokens);
      tokens.push(...this.llm.tokenize(`\nResult ${record.step}: ${record.resultText}\n`));
      for (const input of record.inputs) tokens.push(...this.llm.tokenize(`User: ${input}\n`));
    }
    const next = (steps.at(-1)?.step ?? omitted) + 1;
    tokens.push(...this.llm.tokenize(`Step ${next}:`));
    return tokens;
  }

  private messages(steps: readonly StepRecord[], note: string, leadingInputs: readonly string[]): ChatMessage[] {
    const messages: ChatMessage[] = [
      { role: 'system', text: this.system },
      { role: 'user', text: [this.task, ...leadingInputs, note].join('\n').trim() },
    ];
    for (const record of steps) {
      messages.push({ role: 'assistant', text: record.actionText });
      messages.push({ role: 'user', text: [`Result of step ${record.step}: ${record.resultText}`, ...record.inputs].join('\n') });
    }
    return messages;
  }
}
