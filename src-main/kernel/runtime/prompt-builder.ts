import type { ChatMessage, LlmBackend, Token } from '../llm/index.js';

/** One finished step as the model will see it again. */
export interface StepRecord {
  step: number;
  /** The exact tokens the model produced, so the prompt never re-tokenizes its own output. */
  actionTokens: Token[];
  actionText: string;
  /** What the kernel answered: a tool result, or why the step was rejected. */
  resultText: string;
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
  ) {}

  build(steps: readonly StepRecord[]): Token[] {
    const chat = this.llm.formatChat(this.messages(steps));
    if (chat) return chat;
    const tokens: Token[] = [...this.llm.bosTokens, ...this.llm.tokenize(`${this.system}\n\nTask: ${this.task}\n`)];
    for (const record of steps) {
      tokens.push(...this.llm.tokenize(`Step ${record.step}:`), ...record.actionTokens);
      tokens.push(...this.llm.tokenize(`\nResult ${record.step}: ${record.resultText}\n`));
    }
    tokens.push(...this.llm.tokenize(`Step ${steps.length + 1}:`));
    return tokens;
  }

  private messages(steps: readonly StepRecord[]): ChatMessage[] {
    const messages: ChatMessage[] = [
      { role: 'system', text: this.system },
      { role: 'user', text: this.task },
    ];
    for (const record of steps) {
      messages.push({ role: 'assistant', text: record.actionText });
      messages.push({ role: 'user', text: `Result of step ${record.step}: ${record.resultText}` });
    }
    return messages;
  }
}
