// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { kernelInfo, manifest, modelInfo, processInfo, stamp } from '../test-support/kernel-fixtures.js';
import { createKernelStore } from './kernel-store.js';
import { selectMemoryPids, selectPagedBlocks, selectSlotResidents, selectSwappedPids } from './scheduler.selectors.js';
import { selectProcessTotals } from './selectors.js';

function storeWithTwoAgents() {
  const store = createKernelStore();
  store.getState().loadSnapshot({
    info: kernelInfo({ model: modelInfo(), modelError: null }),
    processes: [],
    agents: [manifest],
    tools: [],
    grants: [],
    grantRequests: [],
    audit: [],
  });
  store.getState().ingest([
    stamp({ type: 'proc.spawned', process: processInfo(1), manifest }),
    stamp({ type: 'proc.spawned', process: processInfo(2), manifest }),
  ]);
  return store;
}

describe('scheduler slice: the slot map and swaps from scheduler events', () => {
  it('knows whose KV state each slot holds as processes run, swap and exit', () => {
    const store = storeWithTwoAgents();
    const at = (events: Parameters<typeof stamp>[0][]) => store.getState().ingest(events.map((body) => stamp(body)));

    at([{ type: 'proc.state', pid: 1, state: 'running', slot: 0 }]);
    expect(selectSlotResidents(store.getState())).toEqual([1, null]);
    // The lease ends; the state stays resident in its slot.
    at([{ type: 'proc.state', pid: 1, state: 'ready', slot: null }]);
    expect(selectSlotResidents(store.getState())).toEqual([1, null]);

    at([
      { type: 'sched.swap', pid: 1, direction: 'out', slot: 0, location: 'ram', bytes: 4096, durationMs: 2, ok: true },
      { type: 'proc.state', pid: 2, state: 'running', slot: 0 },
    ]);
    expect(selectSlotResidents(store.getState())).toEqual([2, null]);
    expect(store.getState().processes[1]?.swap).toEqual({ location: 'ram', bytes: 4096 });
    expect(selectSwappedPids(store.getState())).toEqual([1]);
    expect(selectProcessTotals(store.getState()).swappedRamBytes).toBe(4096);

    at([
      { type: 'sched.swap', pid: 1, direction: 'in', slot: 1, location: 'ram', bytes: 4096, durationMs: 1, ok: true },
      { type: 'proc.exited', pid: 2, state: 'exited', exit: { code: 137, reason: 'killed' } },
    ]);
    expect(selectSlotResidents(store.getState())).toEqual([null, 1]);
    expect(store.getState().processes[1]?.swap).toBeNull();
    expect(store.getState().scheduler.swapTotals).toEqual({ out: 1, in: 1, bytesOut: 4096 });
    expect(store.getState().scheduler.swaps.map((swap) => swap.direction)).toEqual(['out', 'in']);
  });

  it('keeps a failed swap-out in the log without moving the state', () => {
    const store = storeWithTwoAgents();
    store.getState().ingest([
      stamp({ type: 'proc.state', pid: 1, state: 'running', slot: 0 }),
      stamp({ type: 'sched.swap', pid: 1, direction: 'out', slot: 0, location: 'disk', bytes: 0, durationMs: 1, ok: false, error: 'disk full' }),
    ]);
    expect(selectSlotResidents(store.getState())).toEqual([1, null]);
    expect(store.getState().processes[1]?.swap).toBeNull();
    expect(store.getState().scheduler.swaps[0]).toMatchObject({ ok: false, error: 'disk full' });
  });

  it('records handoffs, paged-out blocks, recalls and the window layout', () => {
    const store = storeWithTwoAgents();
    store.getState().ingest([
      stamp({ type: 'ipc.handoff', from: 1, to: 2, requested: 'kv', mode: 'text', tokens: 300, reason: 'different model' }),
      stamp({
        type: 'memory.paged-out',
        pid: 1,
        blocks: [{ blockId: '1-s1', tokens: 111, summary: 'Step 1: calculator' }],
        durationMs: 3,
        kvEraseMs: 1,
        stored: true,
      }),
      stamp({ type: 'memory.paged-in', pid: 1, blocks: [{ blockId: '1-s1', agentId: 'looper', tokens: 111, score: 0.8 }], durationMs: 2 }),
      stamp({
        type: 'memory.layout',
        pid: 1,
        regions: { system: 300, working: 0, recall: 111, fifo: 200, summary: 50 },
        contextSize: 1952,
        pagedOutBlocks: 1,
        pagedOutTokens: 111,
      }),
      stamp({ type: 'memory.status', available: false, reason: 'LanceDB could not open its folder' }),
    ]);
    const state = store.getState();
    expect(state.scheduler.handoffs).toEqual([expect.objectContaining({ from: 1, to: 2, mode: 'text', reason: 'different model' })]);
    expect(selectPagedBlocks(1)(state)).toEqual([expect.objectContaining({ blockId: '1-s1', stored: true })]);
    expect(state.memory.recalls).toHaveLength(1);
    expect(state.processes[1]?.memory).toMatchObject({ pagedOutBlocks: 1, pagedOutTokens: 111 });
    expect(state.info?.memory).toEqual({ available: false, reason: 'LanceDB could not open its folder' });
    expect(selectMemoryPids(state)).toEqual([1, 2]);
  });
});
