import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../src-shared/index.js';
import { bootThrowawayKernel } from '../test-support/fixtures.js';
import type { Kernel, KernelConfig } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const kernelWith = (overrides: Partial<KernelConfig>): Promise<Kernel> => bootThrowawayKernel(cleanups, overrides);

/** An interactive session: it answers, then waits for the user's next message with its KV state resident. */
const chat = {
  id: 'chat',
  name: 'Chat',
  description: 'answers',
  systemPrompt: 'Answer the user.',
  kind: 'interactive',
  tools: [],
  model: { maxSteps: 2, maxTokensPerStep: 64, maxAnswerChars: 16 },
};

function nextEvent(kernel: Kernel, match: (event: KernelEvent) => boolean): Promise<KernelEvent> {
  return new Promise((resolve) => {
    const off = kernel.bus.on((event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

describe('swap by idleness', () => {
  it('swaps a session waiting for its user out of the only slot before anyone needs it, and back in when the user writes', async () => {
    const kernel = await kernelWith({ slots: 1, scheduler: { policy: 'fair-share', quantumTokens: 32, swap: 'ram', swapPolicy: 'idle' } });
    const swapped = (direction: 'in' | 'out', pid: number) => (e: KernelEvent) => e.type === 'sched.swap' && e.pid === pid && e.direction === direction;
    const { pid } = kernel.spawn(chat, 'Say hello.', undefined, true);
    const out = await nextEvent(kernel, swapped('out', pid));
    expect(out).toMatchObject({ ok: true, slot: 0 });
    // Nobody else asked for the slot: it was swapped out ahead of need, and the slot is free.
    expect(kernel.listProcesses().map((p) => p.pid)).toEqual([pid]);
    const back = nextEvent(kernel, swapped('in', pid));
    const answered = nextEvent(kernel, (e) => e.type === 'proc.state' && e.pid === pid && e.state === 'waiting' && e.reason === 'waiting for user input');
    kernel.input(pid, 'And again.');
    expect(await back).toMatchObject({ ok: true });
    await answered;
    expect(kernel.listProcesses().find((p) => p.pid === pid)?.counters).toMatchObject({ swapsOut: 1, swapsIn: 1 });
  });

  it('a waking session finds a free slot: its neighbour, idle longer, is already swapped out', async () => {
    const kernel = await kernelWith({ slots: 2, scheduler: { policy: 'fair-share', quantumTokens: 32, swap: 'ram', swapPolicy: 'idle' } });
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const first = kernel.spawn(chat, 'Say hello.', undefined, true).pid;
    const second = kernel.spawn(chat, 'Say hi.', undefined, true).pid;
    // One slot is kept free: once both wait for their users, one of them is swapped out.
    await nextEvent(kernel, (e) => e.type === 'sched.swap' && e.direction === 'out' && (e.pid === first || e.pid === second));
    const late = kernel.spawn(chat, 'Say hey.', undefined, true).pid;
    await nextEvent(kernel, (e) => e.type === 'proc.state' && e.pid === late && e.state === 'waiting');
    // The newcomer took the free slot at once: no swap between asking for a slot and running.
    const asked = events.findIndex((e) => e.type === 'proc.state' && e.pid === late && e.state === 'ready');
    const ran = events.findIndex((e) => e.type === 'proc.state' && e.pid === late && e.state === 'running');
    expect(asked).toBeGreaterThanOrEqual(0);
    expect(events.slice(asked, ran).filter((e) => e.type === 'sched.swap')).toEqual([]);
  });
});
