import type { EventBus } from '../core/event-bus.js';
import type { LlmSlot } from '../llm/index.js';
import { summarize, type MemoryManager, type PageOutBlock } from '../memory/index.js';
import type { ContextState, PromptBuilder, PromptLayout, Span, StepRecord } from './prompt-builder.js';

export interface PagingPolicy {
  /** Page out when the window is fuller than this share of it. */
  highWater: number;
  /** ...down to this share. */
  lowWater: number;
  /** Share of the window that recalled blocks may take. */
  recallShare: number;
  /** A single result or message larger than this share is split into blocks, not kept whole. */
  hugeShare: number;
}

export const DEFAULT_PAGING: PagingPolicy = { highWater: 0.75, lowWater: 0.5, recallShare: 0.25, hugeShare: 0.25 };

/**
 * The virtual context of one agent: keeps its window under the high-water mark by paging the
 * oldest steps out to long-term memory (and erasing exactly their tokens from the KV cache),
 * pages relevant blocks back in before each step, and splits anything too big for the window.
 */
export class ContextPager {
  readonly state: { steps: StepRecord[]; firstResident: number; leadingInputs: string[]; working: string; summary: string; recall: { label: string; text: string; blockId: string }[] };
  private lastLayout: PromptLayout | null = null;
  private staleSpans: Span[] = [];
  private pendingPageOut: { blocks: PageOutBlock[]; error: string | null; durationMs: number } | null = null;
  private pagedOutBlocks = 0;
  private pagedOutTokens = 0;
  private chunkSequence = 0;

  constructor(
    private readonly memory: MemoryManager,
    private readonly bus: EventBus,
    private readonly builder: PromptBuilder,
    private readonly pid: number,
    private readonly agentId: string,
    private readonly window: number,
    steps: StepRecord[],
    leadingInputs: string[],
    private readonly policy: PagingPolicy = DEFAULT_PAGING,
  ) {
    this.state = { steps, firstResident: 0, leadingInputs, working: '', summary: '', recall: [] };
  }

  private layout(budget = this.window): PromptLayout {
    return this.builder.build(this.state as ContextState, budget);
  }

  /** Before a new step: page out past the high-water mark, page in what the query calls for. */
  async prepare(query: string): Promise<PromptLayout> {
    // The last step's recall is stale (page-in replaces it below). Counted, it made the window
    // look fuller than it is, and with a long system prompt the pager evicted every resident
    // step, the newest included (found by `npm run bench -- memory`).
    const stale = this.state.recall;
    this.state.recall = [];
    // Measured without a budget: the point of paging is to bring an oversized window back.
    let layout = this.layout(Number.POSITIVE_INFINITY);
    if (layout.tokens.length > this.policy.highWater * this.window) await this.pageOut(layout);
    await this.pageIn(query, stale);
    layout = this.layout(Number.POSITIVE_INFINITY);
    // Page-in counts its blocks piece by piece; should the joined text tokenize longer, the last blocks give way.
    while (layout.tokens.length > this.window && this.state.recall.length > 0) {
      this.state.recall = this.state.recall.slice(0, -1);
      layout = this.layout(Number.POSITIVE_INFINITY);
    }
    // Still too big (no recall left to give way): the builder's last resort drops the oldest messages.
    if (layout.tokens.length > this.window) layout = this.layout();
    this.bus.emit({
      type: 'memory.layout',
      pid: this.pid,
      regions: layout.regions,
      contextSize: this.window,
      pagedOutBlocks: this.pagedOutBlocks,
      pagedOutTokens: this.pagedOutTokens,
    });
    return layout;
  }

  private stepText(step: StepRecord): string {
    return [`Step ${step.step}: ${step.actionText.trim()}`, `Result ${step.step}: ${step.resultText}`, ...step.inputs.map((text) => `User: ${text}`)].join('\n');
  }

  private async pageOut(layout: PromptLayout): Promise<void> {
    const started = performance.now();
    let size = layout.tokens.length;
    const evicted: StepRecord[] = [];
    // The newest step stays (it is what the model acts on next) unless the window cannot hold it
    // even alone: then it is paged out too, and found again by the query like any other block.
    while (size > this.policy.lowWater * this.window && (this.state.firstResident < this.state.steps.length - 1 || size > this.window)) {
      const step = this.state.steps[this.state.firstResident]!;
      const span = layout.stepSpans.get(step.step);
      size -= span ? span.end - span.start : this.builder.tokenCount(this.stepText(step));
      // Erase what the KV cache holds: the step's place in the prompt it last decoded.
      this.staleSpans.push(...this.spanInLast(step.step));
      evicted.push(step);
      this.state.firstResident++;
    }
    if (evicted.length === 0) return;
    const blocks = evicted.map((step) => {
      const text = this.stepText(step);
      return { blockId: `${this.pid}-s${step.step}`, role: 'step', text, tokens: this.builder.tokenCount(text), createdAt: Date.now() };
    });
    const error = await this.memory.pageOut(this.pid, this.agentId, blocks);
    this.pagedOutBlocks += blocks.length;
    this.pagedOutTokens += blocks.reduce((sum, block) => sum + block.tokens, 0);
    const first = this.state.steps[0]!.step;
    const last = evicted.at(-1)!;
    this.state.summary = `steps ${first}-${last.step} ${error ? 'left the window (memory unavailable)' : 'paged out (memory_search)'}; last: ${summarize(this.stepText(last), 60)}`;
    this.pendingPageOut = { blocks, error, durationMs: performance.now() - started };
  }

  private spanInLast(step: number): Span[] {
    const span = this.lastLayout?.stepSpans.get(step);
    if (span) return [span];
    // The newest step is not in the last prompt: it was decoded after it, from the open label on.
    const last = this.lastLayout;
    if (last?.tail && step === (this.state.steps.at(-1)?.step ?? -1)) return [{ start: last.tail.end, end: Number.POSITIVE_INFINITY }];
    return [];
  }

  private async pageIn(query: string, stale: readonly { blockId: string }[]): Promise<void> {
    if (this.pagedOutBlocks === 0 || !this.memory.status.available) {
      this.state.recall = [];
      return;
    }
    const started = performance.now();
    const resident = new Set(this.state.steps.slice(this.state.firstResident).map((step) => `${this.pid}-s${step.step}`));
    const found = (await this.memory.search([this.agentId], query, 6)).filter((block) => !resident.has(block.blockId));
    // Its share of the window, and never more than the rest of it holds (recall is cleared: this layout has none).
    let budget = Math.min(this.policy.recallShare * this.window, this.window - this.layout(Number.POSITIVE_INFINITY).tokens.length) - this.builder.tokenCount('Recalled from memory:\n');
    const recall: { label: string; text: string; blockId: string }[] = [];
    const blocks = [];
    for (const block of found) {
      const text = block.text.length > 400 ? `${block.text.slice(0, 399)}…` : block.text;
      // Counted as the prompt renders it (label and all), plus one token for where the pieces join.
      const cost = this.builder.tokenCount(`- [${block.blockId}] ${text}\n`) + 1;
      if (cost > budget) continue;
      budget -= cost;
      recall.push({ label: block.blockId, text, blockId: block.blockId });
      blocks.push({ blockId: block.blockId, agentId: block.agentId, tokens: cost, score: block.score });
    }
    const changed = recall.map((r) => r.blockId).join() !== stale.map((r) => r.blockId).join();
    this.state.recall = recall;
    if (changed && recall.length > 0) this.bus.emit({ type: 'memory.paged-in', pid: this.pid, blocks, durationMs: performance.now() - started });
  }

  /**
   * With the slot in hand, before decoding `layout`: erases from the KV cache what the last
   * prompt had and this one does not (the old tail, steps paged out), when the slot still holds
   * this agent's state. Returns the milliseconds it took.
   */
  async enter(slot: LlmSlot, layout: PromptLayout): Promise<void> {
    if (this.lastLayout === layout) return;
    const previous = this.lastLayout;
    this.lastLayout = layout;
    const started = performance.now();
    if (previous?.tail && slot.holdsPrefix(previous.tokens)) {
      const ranges = [...this.staleSpans, previous.tail]
        .map((span) => ({ start: span.start, end: Math.min(span.end, slot.cachedTokens) }))
        .filter((span) => span.end > span.start)
        .sort((a, b) => b.start - a.start);
      // One range at a time from the end, so each range's positions are still those of the last prompt.
      for (const range of ranges) await slot.erase([range]);
    }
    this.staleSpans = [];
    const pending = this.pendingPageOut;
    this.pendingPageOut = null;
    if (pending) {
      this.bus.emit({
        type: 'memory.paged-out',
        pid: this.pid,
        blocks: pending.blocks.map((block) => ({ blockId: block.blockId, tokens: block.tokens, summary: summarize(block.text) })),
        durationMs: pending.durationMs,
        kvEraseMs: performance.now() - started,
        stored: pending.error === null,
        ...(pending.error ? { error: pending.error } : {}),
      });
    }
  }

  /** A result or message too big for the window goes to memory in blocks; the window keeps its head and a pointer. */
  async absorb(text: string, role: string): Promise<string> {
    const limit = this.policy.hugeShare * this.window;
    if (this.builder.tokenCount(text) <= limit) return text;
    const chunkChars = Math.max(200, Math.floor((text.length * limit) / this.builder.tokenCount(text) / 2));
    const blocks: PageOutBlock[] = [];
    for (let offset = 0; offset < text.length; offset += chunkChars) {
      const chunk = text.slice(offset, offset + chunkChars);
      blocks.push({ blockId: `${this.pid}-c${++this.chunkSequence}`, role, text: chunk, tokens: this.builder.tokenCount(chunk), createdAt: Date.now() });
    }
    const error = await this.memory.pageOut(this.pid, this.agentId, blocks);
    this.pagedOutBlocks += blocks.length;
    this.pagedOutTokens += blocks.reduce((sum, block) => sum + block.tokens, 0);
    this.pendingPageOut = { blocks: [...(this.pendingPageOut?.blocks ?? []), ...blocks], error, durationMs: this.pendingPageOut?.durationMs ?? 0 };
    const head = text.slice(0, chunkChars);
    return error
      ? `${head}… (${text.length - head.length} more characters did not fit the window; long-term memory is unavailable, the journal keeps the whole text)`
      : `${head}… (${text.length - head.length} more characters are in long-term memory as blocks ${blocks[0]!.blockId}..${blocks.at(-1)!.blockId}; memory_search finds them)`;
  }
}
