import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent, TranscriptEntry } from '../../src-shared/index.js';
import { bootThrowawayKernel } from '../test-support/fixtures.js';
import type { Kernel, KernelConfig } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const kernelWith = (overrides: Partial<KernelConfig>): Promise<Kernel> => bootThrowawayKernel(cleanups, overrides);

/** A calculator agent: several steps, each long enough to be cut many times. */
const worker = (id: string, priorityClass: 'background' | 'interactive' = 'background') => ({
  id,
  name: id,
  description: 'computes',
  systemPrompt: 'You compute things with the calculator.',
  kind: priorityClass === 'interactive' ? 'interactive' : 'background',
  priority: { class: priorityClass, nice: 0 },
  tools: ['calculator'],
  model: { maxSteps: 3, maxTokensPerStep: 120, maxAnswerChars: 200 },
});

/** What the agent said and did, token for token: step outputs and actions. */
function behaviour(transcript: TranscriptEntry[]): string[] {
  const outputs = new Map<number, string>();
  const actions: string[] = [];
  for (const entry of transcript) {
    if (entry.kind === 'output') outputs.set(entry.step, (outputs.get(entry.step) ?? '') + entry.text);
    else if (entry.kind !== 'task') actions.push(JSON.stringify(entry));
  }
  return [...[...outputs.entries()].map(([step, text]) => `${step}:${text}`), ...actions];
}

async function runAlone(task: string): Promise<string[]> {
  const kernel = await kernelWith({ slots: 1 });
  const { pid } = kernel.spawn(worker('solo'), task);
  expect((await kernel.wait(pid, 60_000)).state).toBe('exited');
  return behaviour(kernel.transcript(pid));
}

describe('preemption is invisible to the agent', () => {
  it.each(['disk', 'ram'] as const)('an agent swapped to %s at least 5 times decodes exactly what it decodes alone', async (swap) => {
    const alone = await runAlone('Compute 17 * 23 and then 5 + 8.');
    const kernel = await kernelWith({ slots: 1, scheduler: { policy: 'fair-share', quantumTokens: 8, swap } });
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const target = kernel.spawn(worker('solo'), 'Compute 17 * 23 and then 5 + 8.').pid;
    const rival = kernel.spawn(worker('rival'), 'Compute 99 - 42.').pid;
    await Promise.all([kernel.wait(target, 60_000), kernel.wait(rival, 60_000)]);
    const swapsIn = events.filter((e) => e.type === 'sched.swap' && e.pid === target && e.direction === 'in' && e.ok);
    const swapsOut = events.filter((e) => e.type === 'sched.swap' && e.pid === target && e.direction === 'out' && e.ok);
    expect(swapsIn.length).toBeGreaterThanOrEqual(5);
    expect(swapsOut.every((e) => e.type === 'sched.swap' && e.bytes > 0 && e.location === swap)).toBe(true);
    expect(kernel.table.get(target).counters.swapsIn).toBe(swapsIn.length);
    expect(behaviour(kernel.transcript(target))).toEqual(alone);
  });

  it('a higher class preempts at the next token, and the victim resumes exactly where it was', async () => {
    const alone = await runAlone('Compute 17 * 23 and then 5 + 8.');
    const kernel = await kernelWith({ slots: 1, scheduler: { policy: 'fair-share', quantumTokens: 10_000, swap: 'disk' } });
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const target = kernel.spawn(worker('solo'), 'Compute 17 * 23 and then 5 + 8.').pid;
    // Each interactive request arrives while the background agent is decoding.
    const urgent: number[] = [];
    let outputs = 0;
    await new Promise<void>((resolve) => {
      const off = kernel.bus.on((event) => {
        if (event.type !== 'proc.output' || event.pid !== target) return;
        outputs++;
        if (outputs % 15 === 0 && urgent.length < 5) urgent.push(kernel.spawn(worker(`urgent-${urgent.length}`, 'interactive'), 'Compute 1 + 1.').pid);
        if (urgent.length === 5) {
          off();
          resolve();
        }
      });
    });
    await Promise.all([target, ...urgent].map((pid) => kernel.wait(pid, 60_000)));
    const preemptions = events.filter((e) => e.type === 'sched.preempt' && e.victim === target);
    expect(preemptions.length).toBeGreaterThanOrEqual(5);
    for (const preemption of preemptions) {
      if (preemption.type !== 'sched.preempt') continue;
      // The victim's slice ends at the very next token boundary after the preemption request.
      const after = events.slice(events.indexOf(preemption) + 1);
      const sliceEnd = after.findIndex((e) => e.type === 'sched.slice' && e.pid === target);
      const tokensBetween = after.slice(0, sliceEnd).filter((e) => e.type === 'proc.output' && e.pid === target).length;
      expect(tokensBetween).toBeLessThanOrEqual(1);
      expect(after[sliceEnd]).toMatchObject({ endedBy: 'preempted' });
    }
    expect(behaviour(kernel.transcript(target))).toEqual(alone);
  });

  it('renice and suspend take effect at the next token boundary', async () => {
    const kernel = await kernelWith({ slots: 1, scheduler: { policy: 'fair-share', quantumTokens: 10_000, swap: 'ram' } });
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const low = kernel.spawn(worker('low', 'interactive'), 'Compute 3 * 3.').pid;
    await new Promise<void>((resolve) => {
      const off = kernel.bus.on((e) => e.type === 'proc.output' && e.pid === low && (off(), resolve()));
    });
    const waiting = kernel.spawn(worker('waiting', 'interactive'), 'Compute 4 * 4.').pid;
    // Same class: no preemption. Renice the runner to idle: now the waiter outranks it.
    const mark = events.length;
    kernel.renice(low, { class: 'idle' });
    await kernel.wait(waiting, 60_000);
    const after = events.slice(mark);
    const preempt = after.find((e) => e.type === 'sched.preempt');
    expect(preempt).toMatchObject({ victim: low, by: waiting });
    const afterPreempt = after.slice(after.indexOf(preempt!) + 1);
    const lowTokens = afterPreempt.findIndex((e) => e.type === 'sched.slice' && e.pid === low);
    expect(afterPreempt.slice(0, lowTokens).filter((e) => e.type === 'proc.output' && e.pid === low).length).toBeLessThanOrEqual(1);
    kernel.kill(low);
  });
});
