// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { AgentManifest, KernelClient, KernelEvent, KernelEventBody, ProcessInfo } from '../../src-shared/index.js';
import { emptyCounters, freshProcessInfo } from '../../src-shared/index.js';
import { createKernelStore } from './kernel-store.js';
import { selectProcessTotals, selectVisiblePids } from './selectors.js';

const T0 = 1_700_000_000_000;

const manifest: AgentManifest = {
  id: 'researcher',
  name: 'Researcher',
  description: 'Looks things up.',
  icon: '🔎',
  systemPrompt: 'You research.',
  kind: 'interactive',
  model: { temperature: 0, maxTokensPerStep: 256, maxSteps: 8, maxAnswerChars: 400, toolFirst: false, toolSteps: 0 },
  tools: [],
  capabilities: [],
  policy: 'strict',
  toolArgs: {},
};

function processInfo(pid: number, task: string): ProcessInfo {
  return { ...freshProcessInfo(pid, manifest, task, { class: 'interactive', nice: 0 }), createdAt: T0 + pid };
}

let seq = 0;
/** Stamps an event the way the kernel's bus does. */
function stamp(body: KernelEventBody, at: number): KernelEvent {
  seq += 1;
  return { ...body, seq, at } as KernelEvent;
}

const counters = (tokensOut: number, steps: number) => ({ ...emptyCounters(), tokensIn: 120, tokensOut, steps, tokensPerSecond: 14.5 });

const events: KernelEvent[] = [
  stamp({ type: 'proc.spawned', process: processInfo(1, 'summarise the notes'), manifest }, T0 + 10),
  stamp({ type: 'proc.spawned', process: processInfo(2, 'find the bug'), manifest }, T0 + 20),
  stamp({ type: 'proc.state', pid: 1, state: 'ready', slot: null }, T0 + 30),
  stamp({ type: 'proc.state', pid: 1, state: 'running', slot: 0 }, T0 + 40),
  stamp({ type: 'proc.state', pid: 2, state: 'running', slot: 1 }, T0 + 50),
  stamp({ type: 'proc.output', pid: 1, step: 1, text: '{"type":' }, T0 + 60),
  stamp({ type: 'proc.output', pid: 1, step: 1, text: '"final"}' }, T0 + 61),
  stamp({ type: 'proc.counters', pid: 1, counters: counters(9, 1) }, T0 + 70),
  stamp({ type: 'proc.priority', pid: 2, priority: { class: 'background', nice: 5 } }, T0 + 80),
  stamp({ type: 'proc.state', pid: 2, state: 'suspended', slot: null, reason: 'suspended by request' }, T0 + 90),
  stamp({ type: 'proc.exited', pid: 1, state: 'exited', exit: { code: 0, reason: 'answered', answer: 'done' } }, T0 + 100),
  // An event for a pid this page never saw is ignored, not invented.
  stamp({ type: 'proc.state', pid: 9, state: 'running', slot: 2 }, T0 + 110),
];

describe('processes slice', () => {
  it('projects the kernel event stream into process rows', () => {
    const store = createKernelStore();
    store.getState().ingest(events);
    const { processes, consoles } = store.getState();

    expect(Object.keys(processes).map(Number)).toEqual([1, 2]);
    expect(processes[1]).toMatchObject({
      state: 'exited',
      slot: null,
      startedAt: T0 + 40,
      lastRunAt: T0 + 40,
      exitedAt: T0 + 100,
      exit: { code: 0, reason: 'answered', answer: 'done' },
      counters: { tokensIn: 120, tokensOut: 9, steps: 1 },
    });
    expect(processes[2]).toMatchObject({
      state: 'suspended',
      slot: null,
      startedAt: T0 + 50,
      priority: { class: 'background', nice: 5 },
      exit: null,
    });
    expect(consoles[1]?.text).toBe('{"type":"final"}\n[exited] code 0: answered\n');
  });

  it('keeps the identity of rows an event does not touch', () => {
    const store = createKernelStore();
    store.getState().ingest(events.slice(0, 5));
    const before = store.getState();
    const firstRow = before.processes[1];
    const visible = selectVisiblePids(before);

    store.getState().ingest([stamp({ type: 'proc.counters', pid: 2, counters: counters(33, 2) }, T0 + 200)]);
    const after = store.getState();

    expect(after.processes[1]).toBe(firstRow);
    expect(after.processes[2]).not.toBe(before.processes[2]);
    expect(after.processes[2]?.counters.tokensOut).toBe(33);
    expect(selectVisiblePids(after)).toEqual(visible);
  });

  it('filters rows by name, state or pid and can hide finished ones', () => {
    const store = createKernelStore();
    store.getState().ingest(events);
    expect(selectVisiblePids(store.getState())).toEqual([1, 2]);
    store.getState().setFilter('SUSPENDED');
    expect(selectVisiblePids(store.getState())).toEqual([2]);
    store.getState().setFilter('');
    store.getState().setShowFinished(false);
    expect(selectVisiblePids(store.getState())).toEqual([2]);
  });
});

describe('clearing finished processes', () => {
  it('drops reaped processes from the table and the selection', async () => {
    const store = createKernelStore();
    const call = vi.fn(() => Promise.resolve({ reaped: [1] }));
    store.getState().connectionOpened({ call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient);
    store.getState().ingest([
      stamp({ type: 'proc.spawned', process: processInfo(1, 'done already'), manifest }, T0 + 10),
      stamp({ type: 'proc.spawned', process: processInfo(2, 'still going'), manifest }, T0 + 20),
      stamp({ type: 'proc.exited', pid: 1, state: 'exited', exit: { code: 0, reason: 'finished' } }, T0 + 30),
    ]);
    store.getState().select(1);
    expect(await store.getState().clearFinished()).toBe(1);
    expect(call).toHaveBeenCalledWith('proc.reap', {});
    expect(store.getState().selectedPid).toBeNull();
    store.getState().ingest([stamp({ type: 'proc.reaped', pids: [1] }, T0 + 40)]);
    expect(Object.keys(store.getState().processes)).toEqual(['2']);
  });

  it('clears KV figures when a process exits, even a swap-out that lands after the exit', () => {
    const store = createKernelStore();
    const swapOut = (pid: number, at: number): KernelEvent =>
      stamp({ type: 'sched.swap', pid, direction: 'out', slot: 0, location: 'ram', bytes: 4096, durationMs: 1, ok: true }, at);
    store.getState().ingest([
      stamp({ type: 'proc.spawned', process: processInfo(1, 'one'), manifest }, T0),
      stamp({ type: 'proc.spawned', process: processInfo(2, 'two'), manifest }, T0),
      swapOut(1, T0 + 10),
      swapOut(2, T0 + 10),
    ]);
    expect(selectProcessTotals(store.getState()).swappedRamBytes).toBe(8192);
    store.getState().ingest([stamp({ type: 'proc.exited', pid: 1, state: 'exited', exit: { code: 137, reason: 'killed' } }, T0 + 20)]);
    store.getState().ingest([stamp({ type: 'proc.exited', pid: 2, state: 'exited', exit: { code: 0, reason: 'answered' } }, T0 + 30), swapOut(2, T0 + 31)]);
    expect(store.getState().processes[1]?.swap).toBeNull();
    expect(store.getState().processes[2]?.swap).toBeNull();
    expect(selectProcessTotals(store.getState()).swappedRamBytes).toBe(0);
    // A snapshot from the kernel with a finished process still carrying swap shows none either.
    store.getState().resync({ processes: [{ ...processInfo(3, 'three'), state: 'exited', swap: { location: 'disk', bytes: 10 } }], grants: [], grantRequests: [] });
    expect(store.getState().processes[3]?.swap).toBeNull();
    expect(selectProcessTotals(store.getState()).swappedDiskBytes).toBe(0);
  });
});
