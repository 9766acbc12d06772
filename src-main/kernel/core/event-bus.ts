import type { KernelEvent, KernelEventBody } from '../../../src-shared/index.js';
import type { Disposable } from './disposable.js';

export type EventListener = (event: KernelEvent) => void;

export interface EventStreamOptions {
  /** Most events held for a slow consumer before coalescing and then dropping. */
  maxQueue?: number;
}

/**
 * Typed kernel events. Synchronous listeners (the journal) see every event in order;
 * streams (network clients) get a bounded queue: when a consumer falls behind, counter and
 * output events are coalesced per process, and past that the oldest events are dropped and
 * a `bus.lagged` event tells the consumer how many it missed.
 */
export class EventBus implements Disposable {
  private seq = 0;
  private readonly listeners = new Set<EventListener>();
  private readonly streams = new Set<EventStream>();

  emit(body: KernelEventBody): KernelEvent {
    const event = { ...body, seq: ++this.seq, at: Date.now() } as KernelEvent;
    for (const listener of this.listeners) listener(event);
    for (const stream of this.streams) stream.push(event);
    return event;
  }

  /** Continues numbering after a journal replay. */
  resumeSequence(lastSeq: number): void {
    this.seq = Math.max(this.seq, lastSeq);
  }

  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stream(options: EventStreamOptions = {}): EventStream {
    const stream = new EventStream(options.maxQueue ?? 2048, () => this.streams.delete(stream));
    this.streams.add(stream);
    return stream;
  }

  dispose(): void {
    this.listeners.clear();
    for (const stream of [...this.streams]) stream.close();
  }
}

export class EventStream implements AsyncIterable<KernelEvent>, Disposable {
  private queue: KernelEvent[] = [];
  private waiter: ((result: IteratorResult<KernelEvent>) => void) | null = null;
  private closed = false;
  private dropped = 0;
  private lastSeq = 0;

  constructor(
    private readonly maxQueue: number,
    private readonly onClose: () => void,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  push(event: KernelEvent): void {
    if (this.closed) return;
    this.lastSeq = event.seq;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length > this.maxQueue) this.relieve();
  }

  /** Coalesce what can be merged (keeping order); drop the oldest of what cannot. */
  private relieve(): void {
    const lastCounters = new Map<number, number>();
    this.queue.forEach((event, index) => {
      if (event.type === 'proc.counters') lastCounters.set(event.pid, index);
    });
    const merged: KernelEvent[] = [];
    this.queue.forEach((event, index) => {
      if (event.type === 'proc.counters' && lastCounters.get(event.pid) !== index) return;
      const previous = merged.at(-1);
      if (
        event.type === 'proc.output' &&
        previous?.type === 'proc.output' &&
        previous.pid === event.pid &&
        previous.step === event.step
      ) {
        merged[merged.length - 1] = { ...previous, text: previous.text + event.text, seq: event.seq, at: event.at };
        return;
      }
      merged.push(event);
    });
    const overflow = merged.length - Math.floor(this.maxQueue / 2);
    if (overflow > 0) {
      this.dropped += overflow;
      merged.splice(0, overflow);
    }
    this.queue = merged;
  }

  next(): Promise<IteratorResult<KernelEvent>> {
    if (this.dropped > 0) {
      const lagged: KernelEvent = { type: 'bus.lagged', dropped: this.dropped, seq: this.lastSeq, at: Date.now() };
      this.dropped = 0;
      return Promise.resolve({ value: lagged, done: false });
    }
    const event = this.queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<KernelEvent> {
    return { next: () => this.next(), return: () => (this.close(), Promise.resolve({ value: undefined, done: true })) };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.waiter?.({ value: undefined, done: true });
    this.waiter = null;
    this.onClose();
  }

  dispose(): void {
    this.close();
  }
}
