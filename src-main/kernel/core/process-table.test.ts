import { describe, expect, it } from 'vitest';
import type { AgentManifest, KernelEventBody, ProcessInfo } from '../../../src-shared/index.js';
import { emptyCounters, freshProcessInfo } from '../../../src-shared/index.js';
import { EventBus } from './event-bus.js';
import { ProcessTable } from './process-table.js';

const manifest: AgentManifest = {
  id: 'demo',
  name: 'Demo',
  description: 'demo',
  icon: '🤖',
  systemPrompt: 'x',
  kind: 'background',
  model: { temperature: 0, maxTokensPerStep: 64, maxSteps: 4, maxAnswerChars: 100, toolFirst: false, toolSteps: 0 },
  tools: ['calculator'],
  capabilities: [],
  policy: 'strict',
  toolArgs: {},
};

function spawned(pid: number): KernelEventBody {
  const process: ProcessInfo = { ...freshProcessInfo(pid, manifest, `task ${pid}`, { class: 'background', nice: 0 }), createdAt: 1 };
  return { type: 'proc.spawned', process, manifest };
}

function setup() {
  const bus = new EventBus();
  const table = new ProcessTable();
  bus.on((event) => table.apply(event));
  return { bus, table };
}

describe('process table', () => {
  it('walks a process through its lifecycle', () => {
    const { bus, table } = setup();
    bus.emit(spawned(1));
    expect(table.get(1).state).toBe('new');
    expect(table.nextPid()).toBe(2);
    bus.emit({ type: 'proc.state', pid: 1, state: 'running', slot: 2 });
    expect(table.get(1)).toMatchObject({ state: 'running', slot: 2 });
    expect(table.get(1).startedAt).not.toBeNull();
    bus.emit({ type: 'proc.state', pid: 1, state: 'suspended', slot: null });
    bus.emit({ type: 'proc.priority', pid: 1, priority: { class: 'interactive', nice: -5 } });
    expect(table.get(1).priority).toEqual({ class: 'interactive', nice: -5 });
    bus.emit({ type: 'proc.counters', pid: 1, counters: { ...emptyCounters(), tokensOut: 42, steps: 1 } });
    expect(table.get(1).counters.tokensOut).toBe(42);
    bus.emit({ type: 'proc.exited', pid: 1, state: 'exited', exit: { code: 0, reason: 'finished', answer: 'done' } });
    expect(table.get(1)).toMatchObject({ state: 'exited', slot: null, exit: { code: 0, answer: 'done' } });
    expect(table.live()).toHaveLength(0);
    expect(table.list()).toHaveLength(1);
  });

  it('builds the transcript from output, calls and results', () => {
    const { bus, table } = setup();
    bus.emit(spawned(1));
    bus.emit({ type: 'proc.output', pid: 1, step: 1, text: '{"type":' });
    bus.emit({ type: 'proc.output', pid: 1, step: 1, text: '"tool"}' });
    bus.emit({ type: 'proc.step', pid: 1, step: 1, action: { type: 'tool', tool: 'calculator', args: { expression: '1+1' } } });
    bus.emit({ type: 'proc.tool-result', pid: 1, step: 1, tool: 'calculator', ok: true, value: { value: 2 }, durationMs: 1 });
    bus.emit({ type: 'proc.step', pid: 1, step: 2, action: { type: 'final', answer: 'two' } });
    expect(table.transcript(1)).toEqual([
      { kind: 'task', text: 'task 1' },
      { kind: 'output', step: 1, text: '{"type":"tool"}' },
      { kind: 'tool-call', step: 1, tool: 'calculator', args: { expression: '1+1' } },
      { kind: 'tool-result', step: 1, tool: 'calculator', ok: true, value: { value: 2 } },
      { kind: 'answer', step: 2, text: 'two' },
    ]);
  });

  it('hands out copies, so callers cannot change the table', () => {
    const { bus, table } = setup();
    bus.emit(spawned(1));
    table.get(1).state = 'crashed';
    expect(table.get(1).state).toBe('new');
  });

  it('reports an unknown pid with its code', () => {
    const { table } = setup();
    expect(() => table.get(9)).toThrow(expect.objectContaining({ code: 'UNKNOWN_PROCESS' }));
  });
});
