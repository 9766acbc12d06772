import { describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../../src-shared/index.js';
import { emptyCounters } from '../../../src-shared/index.js';
import { EventBus } from './event-bus.js';

async function drain(stream: AsyncIterable<KernelEvent> & { pending: number }): Promise<KernelEvent[]> {
  const events: KernelEvent[] = [];
  const iterator = stream[Symbol.asyncIterator]();
  // One more than pending: a lagged notice comes first when events were dropped.
  for (let i = 0, n = stream.pending + 1; i < n; i++) {
    const next = await Promise.race([iterator.next(), new Promise<null>((r) => setTimeout(() => r(null), 20))]);
    if (!next || next.done) break;
    events.push(next.value);
  }
  return events;
}

describe('event bus', () => {
  it('numbers events and delivers them to listeners in order', () => {
    const bus = new EventBus();
    const seen: number[] = [];
    const off = bus.on((event) => seen.push(event.seq));
    bus.emit({ type: 'kernel.started', version: 'x' });
    bus.emit({ type: 'kernel.started', version: 'y' });
    off();
    bus.emit({ type: 'kernel.started', version: 'z' });
    expect(seen).toEqual([1, 2]);
  });

  it('coalesces counters and output for a slow stream, keeping the latest values', async () => {
    const bus = new EventBus();
    const stream = bus.stream({ maxQueue: 8 });
    for (let i = 1; i <= 6; i++) bus.emit({ type: 'proc.counters', pid: 1, counters: { ...emptyCounters(), tokensOut: i } });
    for (const text of ['a', 'b', 'c']) bus.emit({ type: 'proc.output', pid: 1, step: 1, text });
    const events = await drain(stream);
    expect(events.filter((e) => e.type === 'proc.counters')).toEqual([expect.objectContaining({ counters: expect.objectContaining({ tokensOut: 6 }) })]);
    expect(events.filter((e) => e.type === 'proc.output').map((e) => (e as { text: string }).text).join('')).toBe('abc');
    stream.close();
  });

  it('drops the oldest events past its bound and says how many it dropped', async () => {
    const bus = new EventBus();
    const stream = bus.stream({ maxQueue: 8 });
    for (let i = 0; i < 20; i++) bus.emit({ type: 'kernel.started', version: String(i) });
    const events = await drain(stream);
    const lagged = events.find((e) => e.type === 'bus.lagged');
    const kept = events.filter((e) => e.type === 'kernel.started');
    expect(lagged).toBeDefined();
    expect((lagged as { dropped: number }).dropped + kept.length).toBe(20);
    expect(kept.at(-1)).toMatchObject({ version: '19' });
    stream.close();
  });

  it('ends a stream when it is closed', async () => {
    const bus = new EventBus();
    const stream = bus.stream();
    const next = stream.next();
    stream.close();
    expect(await next).toEqual({ value: undefined, done: true });
  });
});
