import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../src-shared/index.js';
import { bootTestKernel, bootThrowawayKernel, tempDir } from '../test-support/fixtures.js';
import { handleKernelRequest, type Kernel, type KernelConfig } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const kernelWith = (overrides: Partial<KernelConfig> = {}, dataDir?: string): Promise<Kernel> => bootThrowawayKernel(cleanups, overrides, dataDir);

function record(kernel: Kernel): KernelEvent[] {
  const events: KernelEvent[] = [];
  kernel.bus.on((event) => events.push(event));
  return events;
}

function post(kernel: Kernel, route: string, body: string, token?: string): Promise<Response> {
  const webhook = kernel.info().webhook!;
  return fetch(`${webhook.url}/hooks/${route}`, { method: 'POST', body, headers: { authorization: `Bearer ${token ?? webhook.token}` } });
}

const background = {
  id: 'long-job',
  name: 'Long job',
  description: 'keeps computing',
  systemPrompt: 'Compute things.',
  kind: 'background',
  tools: ['calculator'],
  model: { maxSteps: 4, maxTokensPerStep: 120 },
};

describe('interrupts', () => {
  it('a webhook interrupt preempts background work at once, runs the handler at realtime, then the victim resumes', async () => {
    const kernel = await kernelWith({ slots: 1, scheduler: { policy: 'fair-share', quantumTokens: 10_000, swap: 'ram' } });
    const events = record(kernel);
    kernel.bindInterrupt('webhook-triage', undefined);
    const job = kernel.spawn(background, 'Compute 17 * 23.').pid;
    await new Promise<void>((resolve) => {
      const off = kernel.bus.on((e) => e.type === 'proc.output' && e.pid === job && (off(), resolve()));
    });
    expect((await post(kernel, 'notify', 'disk almost full')).status).toBe(202);
    const raised = events.find((e) => e.type === 'interrupt.raised');
    expect(raised).toMatchObject({ source: 'webhook', outcome: 'dispatched', detail: expect.stringContaining('disk almost full') });
    const handler = (raised as { pid: number }).pid;
    expect(kernel.table.get(handler).priority.class).toBe('realtime');
    await kernel.wait(handler, 60_000);
    expect(events.find((e) => e.type === 'sched.preempt')).toMatchObject({ victim: job, by: handler });
    // Between the interrupt and the handler's first token, the victim decoded at most the token in flight.
    const handlerFirst = events.findIndex((e) => e.type === 'proc.output' && e.pid === handler);
    const between = events.slice(events.indexOf(raised!), handlerFirst).filter((e) => e.type === 'proc.output' && e.pid === job);
    expect(handlerFirst).toBeGreaterThan(0);
    expect(between.length).toBeLessThanOrEqual(1);
    expect((await kernel.wait(job, 60_000)).state).toBe('exited');
  });

  it('refuses a webhook without the token and one for an unbound route', async () => {
    const kernel = await kernelWith();
    kernel.bindInterrupt('webhook-triage', undefined);
    expect((await post(kernel, 'notify', 'x', 'wrong-token')).status).toBe(401);
    expect((await post(kernel, 'other', 'x')).status).toBe(404);
  });

  it('coalesces an interrupt storm with a visible count, and hands every coalesced event to one follow-up', async () => {
    const kernel = await kernelWith();
    const events = record(kernel);
    const binding = kernel.bindInterrupt('webhook-triage', undefined, 2);
    await Promise.all(Array.from({ length: 20 }, (_, i) => post(kernel, 'notify', `event ${i}`)));
    const [entry] = kernel.interrupts.list();
    expect(entry!.stats.raised).toBe(20);
    expect(entry!.stats.dispatched + entry!.stats.coalesced).toBe(entry!.stats.raised);
    expect(entry!.stats.coalesced).toBeGreaterThanOrEqual(18);
    // Wait for the follow-up dispatch that carries the coalesced ones.
    await expect
      .poll(() => events.filter((e) => e.type === 'interrupt.raised' && e.outcome === 'dispatched').length, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    const followUp = events.filter((e) => e.type === 'interrupt.raised' && e.outcome === 'dispatched')[1]!;
    expect(followUp).toMatchObject({ bindingId: binding.id, detail: expect.stringMatching(/^\d+ interrupts arrived/) });
    const coalescedEvents = events.filter((e) => e.type === 'interrupt.raised' && e.outcome === 'coalesced');
    expect(coalescedEvents.length).toBe(entry!.stats.coalesced);
  });

  it('a file dropped into a watched folder and a timer each start their handler', async () => {
    const kernel = await kernelWith();
    const events = record(kernel);
    const inbox = tempDir();
    cleanups.push(inbox.dispose);
    kernel.bindInterrupt('inbox-watcher', { source: 'folder', path: inbox.path });
    writeFileSync(join(inbox.path, 'report.txt'), 'hello there');
    await expect.poll(() => events.find((e) => e.type === 'interrupt.raised' && e.source === 'folder'), { timeout: 10_000 }).toMatchObject({
      outcome: 'dispatched',
      detail: expect.stringContaining('report.txt'),
    });
    kernel.bindInterrupt('standup-reminder', { source: 'timer', everyMs: 200 });
    await expect.poll(() => events.some((e) => e.type === 'interrupt.raised' && e.source === 'timer'), { timeout: 10_000 }).toBe(true);
  });

  it('refuses to bind a non-handler agent or a folder that does not exist', async () => {
    const kernel = await kernelWith();
    expect(() => kernel.bindInterrupt('math-tutor', undefined)).toThrow(/not an interrupt-handler/);
    expect(() => kernel.bindInterrupt('inbox-watcher', { source: 'folder', path: '/nonexistent/inbox' })).toThrow(/does not exist/);
  });

  it('user input goes to an interactive session at interrupt priority, ahead of background work', async () => {
    const kernel = await kernelWith({ slots: 1, scheduler: { policy: 'fair-share', quantumTokens: 10_000, swap: 'ram' } });
    const events = record(kernel);
    const chat = kernel.spawn('storyteller', 'a fox', undefined, false);
    await kernel.wait(chat.pid, 60_000);
    const session = kernel.spawn({ ...background, id: 'chat', kind: 'interactive', tools: [], model: { maxSteps: 2 } }, 'Say hello.', 'interactive', true).pid;
    await expect.poll(() => kernel.table.get(session).state, { timeout: 30_000 }).toBe('waiting');
    const job = kernel.spawn(background, 'Compute 5 * 5.').pid;
    await new Promise<void>((resolve) => {
      const off = kernel.bus.on((e) => e.type === 'proc.output' && e.pid === job && (off(), resolve()));
    });
    await handleKernelRequest(kernel, 'proc.input', { pid: session, text: 'Tell me more.' });
    await expect.poll(() => kernel.transcript(session).filter((e) => e.kind === 'answer').length, { timeout: 30_000 }).toBe(2);
    expect(kernel.transcript(session)).toContainEqual({ kind: 'input', afterStep: 1, text: 'Tell me more.' });
    expect(events.find((e) => e.type === 'sched.preempt')).toMatchObject({ victim: job, by: session });
    kernel.kill(session);
    await kernel.wait(job, 60_000);
  });

  it('an abort interrupt stops a process at its next token boundary', async () => {
    const kernel = await kernelWith();
    const job = kernel.spawn({ ...background, model: { maxSteps: 50 } }, 'Compute forever.').pid;
    await new Promise<void>((resolve) => {
      const off = kernel.bus.on((e) => e.type === 'proc.output' && e.pid === job && (off(), resolve()));
    });
    await handleKernelRequest(kernel, 'interrupts.raise', { source: 'abort', pid: job });
    expect(kernel.table.get(job)).toMatchObject({ state: 'exited', exit: { code: 137, reason: 'aborted by interrupt' } });
  });

  it('bindings survive a restart', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const inbox = join(dir.path, 'inbox');
    mkdirSync(inbox);
    const first = await bootTestKernel(dir.path);
    const binding = first.bindInterrupt('inbox-watcher', { source: 'folder', path: inbox });
    first.bindInterrupt('standup-reminder', undefined);
    const removed = first.bindInterrupt('webhook-triage', undefined);
    first.interrupts.unbind(removed.id);
    await first.dispose();
    const second = await kernelWith({}, dir.path);
    expect(second.interrupts.list().map((entry) => entry.binding.agentId).sort()).toEqual(['inbox-watcher', 'standup-reminder']);
    expect(second.interrupts.list().find((entry) => entry.binding.id === binding.id)?.binding.trigger).toEqual({ source: 'folder', path: inbox });
  });
});
