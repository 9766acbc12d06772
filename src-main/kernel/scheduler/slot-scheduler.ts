import type { Priority, PriorityClass } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import type { LlmBackend, LlmSlot } from '../llm/index.js';

export interface SlotRequest {
  pid: number;
  priority: Priority;
  /** The slot that still holds this process's KV cache, if any. */
  preferredSlot: number | null;
  signal: AbortSignal;
}

interface Waiter extends SlotRequest {
  arrival: number;
  grant: (slot: LlmSlot) => void;
  fail: (error: unknown) => void;
}

/** Orders waiting processes; the first in order gets the next free slot. */
export interface SchedulerPolicy {
  readonly name: string;
  compare(a: Readonly<Waiter>, b: Readonly<Waiter>): number;
}

const CLASS_RANK: Record<PriorityClass, number> = { realtime: 0, interactive: 1, normal: 2, background: 3, idle: 4 };

/** Strict class order, then niceness, then arrival: a new request goes behind its equals (round robin by step). */
export const strictPriorityPolicy: SchedulerPolicy = {
  name: 'strict-priority',
  compare: (a, b) =>
    CLASS_RANK[a.priority.class] - CLASS_RANK[b.priority.class] || a.priority.nice - b.priority.nice || a.arrival - b.arrival,
};

/** Hands model sequence slots to processes, one step at a time. */
export class SlotScheduler {
  private readonly waiting: Waiter[] = [];
  private arrivals = 0;

  constructor(
    private readonly llm: LlmBackend,
    private readonly policy: SchedulerPolicy = strictPriorityPolicy,
  ) {}

  acquire(request: SlotRequest): Promise<LlmSlot> {
    if (request.signal.aborted) return Promise.reject(new KernelError('INVALID_STATE', 'process stopped before it got a slot'));
    return new Promise<LlmSlot>((grant, fail) => {
      const waiter: Waiter = { ...request, arrival: ++this.arrivals, grant, fail };
      this.waiting.push(waiter);
      request.signal.addEventListener(
        'abort',
        () => {
          const index = this.waiting.indexOf(waiter);
          if (index < 0) return;
          this.waiting.splice(index, 1);
          fail(new KernelError('INVALID_STATE', 'process stopped while waiting for a slot'));
        },
        { once: true },
      );
      this.dispatch();
    });
  }

  release(slot: LlmSlot): void {
    this.llm.release(slot);
    this.dispatch();
  }

  get queueLength(): number {
    return this.waiting.length;
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && this.llm.freeSlots > 0) {
      this.waiting.sort(this.policy.compare);
      const next = this.waiting.shift()!;
      const slot = this.llm.acquireSlot(next.preferredSlot ?? undefined);
      if (!slot) {
        this.waiting.unshift(next);
        return;
      }
      next.grant(slot);
    }
  }
}
