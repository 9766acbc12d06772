// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { manifest, processInfo, stamp } from '../test-support/kernel-fixtures.js';
import { createKernelStore } from './kernel-store.js';
import { HISTORY_LENGTH, currentRate } from './metrics.slice.js';
import { selectProcessTotals, selectVisiblePids } from './selectors.js';

const output = (pid: number, count: number) => Array.from({ length: count }, () => stamp({ type: 'proc.output', pid, step: 1, text: 'x' }));

describe('metrics slice: live token rates from the output stream', () => {
  it('turns streamed tokens into a rate per process, and sums the live ones', () => {
    const store = createKernelStore();
    store.getState().ingest([stamp({ type: 'proc.spawned', process: processInfo(1), manifest }), stamp({ type: 'proc.spawned', process: processInfo(2), manifest })]);
    store.getState().sampleRates(1_000);
    store.getState().ingest([...output(1, 20), ...output(2, 5)]);
    store.getState().sampleRates(1_500);

    expect(currentRate(store.getState().rates[1])).toBe(40);
    expect(currentRate(store.getState().rates[2])).toBe(10);
    expect(selectProcessTotals(store.getState()).tokensPerSecond).toBe(50);
    expect(store.getState().tokenTally).toEqual({});

    store.getState().sortBy('rate');
    expect(selectVisiblePids(store.getState())).toEqual([1, 2]);
    store.getState().sortBy('rate');
    expect(selectVisiblePids(store.getState())).toEqual([2, 1]);
  });

  it('keeps an idle history as it is, so idle rows do not re-render, and bounds every history', () => {
    const store = createKernelStore();
    store.getState().ingest([stamp({ type: 'proc.spawned', process: processInfo(1), manifest })]);
    store.getState().sampleRates(0);
    store.getState().sampleRates(500);
    const idle = store.getState().rates[1];
    store.getState().sampleRates(1_000);
    expect(store.getState().rates[1]).toBe(idle);

    for (let tick = 1; tick <= HISTORY_LENGTH + 10; tick += 1) {
      store.getState().ingest(output(1, 1));
      store.getState().sampleRates(1_000 + tick * 500);
    }
    expect(store.getState().rates[1]).toHaveLength(HISTORY_LENGTH);
    expect(currentRate(store.getState().rates[1])).toBe(2);
  });

  it('stops sampling a process once it has exited', () => {
    const store = createKernelStore();
    store.getState().ingest([stamp({ type: 'proc.spawned', process: processInfo(1), manifest })]);
    store.getState().sampleRates(0);
    store.getState().ingest([...output(1, 10), stamp({ type: 'proc.exited', pid: 1, state: 'exited', exit: { code: 0, reason: 'finished' } })]);
    store.getState().sampleRates(1_000);
    const last = store.getState().rates[1];
    store.getState().sampleRates(1_500);
    expect(store.getState().rates[1]).toBe(last);
    expect(selectProcessTotals(store.getState()).tokensPerSecond).toBe(0);
  });
});
