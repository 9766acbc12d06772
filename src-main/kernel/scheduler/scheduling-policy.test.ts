import { describe, expect, it } from 'vitest';
import type { PriorityClass } from '../../../src-shared/index.js';
import { ClassUsage, fairSharePolicy, fcfsPolicy, niceWeight, type Runnable } from './scheduling-policy.js';

function runnable(pid: number, priorityClass: PriorityClass, extra: Partial<Runnable> = {}): Runnable {
  return { pid, priority: { class: priorityClass, nice: 0 }, vruntime: 0, lastRanAt: 0, arrival: pid, ...extra };
}

/** Runs `quanta` slices of one slot among always-ready processes; returns tokens per pid. */
function simulate(processes: Runnable[], quanta: number, quantum = 32): Map<number, number> {
  const policy = fairSharePolicy();
  const usage = new ClassUsage();
  const state = processes.map((p) => ({ ...p }));
  const tokens = new Map<number, number>();
  for (let i = 0; i < quanta; i++) {
    const next = policy.pickNext(state, usage);
    next.vruntime += (quantum * 1024) / niceWeight(next.priority.nice);
    usage.charge(next.priority.class, quantum);
    tokens.set(next.pid, (tokens.get(next.pid) ?? 0) + quantum);
  }
  return tokens;
}

describe('fair-share policy', () => {
  it('runs a higher class first', () => {
    const policy = fairSharePolicy();
    expect(policy.pickNext([runnable(1, 'background'), runnable(2, 'interactive')], new ClassUsage()).pid).toBe(2);
  });

  it('shares a class by weight: nice 0 gets about 3x what nice 5 gets', () => {
    const tokens = simulate([runnable(1, 'normal'), { ...runnable(2, 'normal'), priority: { class: 'normal', nice: 5 } }], 400);
    const ratio = tokens.get(1)! / tokens.get(2)!;
    expect(ratio).toBeGreaterThan(niceWeight(0) / niceWeight(5) * 0.9);
    expect(ratio).toBeLessThan(niceWeight(0) / niceWeight(5) * 1.1);
  });

  it('keeps a guaranteed share for background work under sustained interactive load', () => {
    const tokens = simulate([runnable(1, 'interactive'), runnable(2, 'interactive'), runnable(3, 'background')], 1000);
    const total = [...tokens.values()].reduce((a, b) => a + b, 0);
    const background = (tokens.get(3) ?? 0) / total;
    expect(background).toBeGreaterThanOrEqual(0.09);
    expect(background).toBeLessThan(0.2);
  });

  it('never lets a lower class take a realtime slot ahead of time', () => {
    const tokens = simulate([runnable(1, 'realtime'), runnable(2, 'idle')], 200);
    // idle keeps its small floor, realtime gets the rest.
    expect(tokens.get(1)! / 6400).toBeGreaterThan(0.95);
  });

  it('preempts only for a strictly higher class, and picks the lowest class, least recently run, as victim', () => {
    const policy = fairSharePolicy();
    expect(policy.mayPreempt(runnable(1, 'realtime'), runnable(2, 'background'))).toBe(true);
    expect(policy.mayPreempt(runnable(1, 'normal'), runnable(2, 'normal'))).toBe(false);
    const victim = policy.pickVictim([
      runnable(1, 'normal', { lastRanAt: 1 }),
      runnable(2, 'background', { lastRanAt: 50 }),
      runnable(3, 'background', { lastRanAt: 10 }),
    ]);
    expect(victim.pid).toBe(3);
  });

  it('fcfs serves in arrival order and never preempts', () => {
    const policy = fcfsPolicy();
    expect(policy.pickNext([runnable(5, 'idle', { arrival: 1 }), runnable(6, 'realtime', { arrival: 2 })], new ClassUsage()).pid).toBe(5);
    expect(policy.mayPreempt(runnable(1, 'realtime'), runnable(2, 'idle'))).toBe(false);
  });
});
