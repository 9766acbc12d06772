import { describe, expect, it } from 'vitest';
import type { KernelEvent, KernelEventBody } from '../../../src-shared/index.js';
import { blockedOn, DEFAULT_IDLE_SWAP, IdlenessModel, pickIdleVictims } from './idle-swap.js';

let seq = 0;
const at = (body: KernelEventBody, time: number): KernelEvent => ({ ...body, seq: ++seq, at: time }) as KernelEvent;

/** A tool call as the agent loop emits it: the step, then the wait. */
function callTool(model: IdlenessModel, pid: number, tool: string, time: number): void {
  model.observe(at({ type: 'proc.step', pid, step: 1, action: { type: 'tool', tool, args: {} } }, time));
  model.observe(at({ type: 'proc.state', pid, state: 'waiting', slot: null }, time));
}

function finishTool(model: IdlenessModel, pid: number, tool: string, durationMs: number, time: number): void {
  model.observe(at({ type: 'proc.tool-result', pid, step: 1, tool, ok: true, value: {}, durationMs }, time));
  model.observe(at({ type: 'proc.state', pid, state: 'ready', slot: null }, time));
}

describe('what a process waits on', () => {
  it('reads the process state and its reason', () => {
    expect(blockedOn('waiting', undefined)).toBe('tool');
    expect(blockedOn('waiting', 'waiting for user input')).toBe('input');
    expect(blockedOn('blocked', 'asking the user: read files in /x')).toBe('grant');
    expect(blockedOn('suspended', 'suspended by request')).toBe('suspended');
    expect(blockedOn('waiting', 'waiting for its timer')).toBe('timer');
    expect(blockedOn('running', undefined)).toBeNull();
    expect(blockedOn('ready', undefined)).toBeNull();
  });
});

describe('expected idleness', () => {
  it('learns each tool’s mean duration and counts the wait down from it', () => {
    const model = new IdlenessModel();
    callTool(model, 1, 'slow', 0);
    finishTool(model, 1, 'slow', 2000, 2000);
    callTool(model, 1, 'slow', 3000);
    expect(model.expectedIdleMs(1, 3500)).toBe(1500);
    callTool(model, 2, 'fast', 3000);
    finishTool(model, 2, 'fast', 50, 3050);
    callTool(model, 2, 'fast', 3100);
    expect(model.expectedIdleMs(2, 3110)).toBe(40);
  });

  it('expects a wait that outlasted its mean to last as long again (heavy tail)', () => {
    const model = new IdlenessModel();
    callTool(model, 1, 'fast', 0);
    finishTool(model, 1, 'fast', 100, 100);
    callTool(model, 1, 'fast', 1000);
    expect(model.expectedIdleMs(1, 1900)).toBe(900);
  });

  it('ranks people above tools, a suspended process above all, and a running one at zero', () => {
    const model = new IdlenessModel();
    callTool(model, 1, 'calc', 0);
    model.observe(at({ type: 'proc.state', pid: 2, state: 'waiting', slot: null, reason: 'waiting for user input' }, 0));
    model.observe(at({ type: 'proc.state', pid: 3, state: 'suspended', slot: null, reason: 'suspended by request' }, 0));
    model.observe(at({ type: 'proc.state', pid: 4, state: 'running', slot: 0 }, 0));
    const idle = [1, 2, 3, 4].map((pid) => model.expectedIdleMs(pid, 10));
    expect(idle[2]).toBe(Number.POSITIVE_INFINITY);
    expect(idle[1]).toBeGreaterThan(idle[0]!);
    expect(idle[3]).toBe(0);
  });

  it('counts a process whose tool call returned as about to run, though its state still says waiting', () => {
    const model = new IdlenessModel();
    callTool(model, 1, 'slow', 0);
    model.observe(at({ type: 'proc.tool-result', pid: 1, step: 1, tool: 'slow', ok: true, value: {}, durationMs: 5000 }, 5000));
    expect(model.blockedOn(1)).toBeNull();
    expect(model.expectedIdleMs(1, 9000)).toBe(0);
  });

  it('keeps a tool call’s start when it stops for a grant dialog, and forgets an exited process', () => {
    const model = new IdlenessModel();
    callTool(model, 1, 'http_get', 0);
    model.observe(at({ type: 'proc.state', pid: 1, state: 'blocked', slot: null, reason: 'asking the user' }, 400));
    expect(model.blockedOn(1)).toEqual({ on: 'grant', tool: 'http_get', since: 0 });
    model.observe(at({ type: 'proc.exited', pid: 1, state: 'exited', exit: { code: 0, reason: 'finished' } }, 500));
    expect(model.blockedOn(1)).toBeNull();
  });

  it('measures the swap round trip from the scheduler’s swap events', () => {
    const model = new IdlenessModel();
    const swap = (direction: 'in' | 'out', durationMs: number) =>
      model.observe(at({ type: 'sched.swap', pid: 1, direction, slot: 0, location: 'ram', bytes: 1, durationMs, ok: true }, 0));
    swap('out', 30);
    swap('in', 10);
    expect(model.swapRoundTripMs).toBe(40);
  });
});

describe('which idle residents to swap out', () => {
  const model = new IdlenessModel();
  callTool(model, 1, 'slow', 0);
  finishTool(model, 1, 'slow', 1500, 1500);
  callTool(model, 1, 'slow', 2000);
  callTool(model, 2, 'fast', 0);
  finishTool(model, 2, 'fast', 20, 20);
  callTool(model, 2, 'fast', 2000);
  model.observe(at({ type: 'proc.state', pid: 3, state: 'waiting', slot: null, reason: 'waiting for user input' }, 2000));

  it('swaps out the idlest first, only until the headroom is free', () => {
    expect(pickIdleVictims([1, 2, 3], 0, model, 2001)).toEqual([3]);
    expect(pickIdleVictims([1, 2, 3], 0, model, 2001, { ...DEFAULT_IDLE_SWAP, headroom: 2 })).toEqual([3, 1]);
    expect(pickIdleVictims([1, 2, 3], 1, model, 2001)).toEqual([]);
  });

  it('leaves alone a process expected back sooner than a few swap round trips', () => {
    expect(pickIdleVictims([2], 0, model, 2001)).toEqual([]);
    expect(pickIdleVictims([4], 0, model, 2001)).toEqual([]);
  });
});
