import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../src-shared/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { handleKernelRequest, readJournal, type Kernel, type KernelConfig } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function boot(path: string, overrides: Partial<KernelConfig> = {}): Promise<{ kernel: Kernel; events: KernelEvent[] }> {
  const kernel = await bootTestKernel(path, { slots: 2, contextSize: 1024, ...overrides });
  cleanups.push(() => kernel.dispose());
  const events: KernelEvent[] = [];
  kernel.bus.on((event) => events.push(event));
  return { kernel, events };
}

function dir(): string {
  const d = tempDir();
  cleanups.push(d.dispose);
  return d.path;
}

const longRunner = {
  id: 'long-runner',
  name: 'Long runner',
  description: 'works far past its window',
  systemPrompt: 'Compute.',
  kind: 'background',
  tools: ['calculator'],
  model: { maxSteps: 40, maxTokensPerStep: 128, toolFirst: true },
};

const pagedOut = (events: KernelEvent[]) => events.filter((e): e is Extract<KernelEvent, { type: 'memory.paged-out' }> => e.type === 'memory.paged-out');

async function runPastWindow(kernel: Kernel, events: KernelEvent[], agent = longRunner): Promise<number> {
  const { pid } = kernel.spawn(agent, 'Compute 17 * 23, then keep going.');
  await expect.poll(() => pagedOut(events).filter((e) => e.pid === pid).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  return pid;
}

describe('virtual context memory', () => {
  it('pages the oldest steps out to LanceDB past the high-water mark and erases only their tokens from the KV cache', async () => {
    const { kernel, events } = await boot(dir());
    const pid = await runPastWindow(kernel, events);
    const outs = pagedOut(events).filter((e) => e.pid === pid);
    expect(outs.every((e) => e.stored && e.blocks.length > 0 && e.kvEraseMs >= 0)).toBe(true);
    const info = kernel.table.get(pid);
    expect(info.state).not.toBe('crashed');
    expect(info.memory).toMatchObject({ contextSize: 1024 - 128, pagedOutBlocks: expect.any(Number) });
    expect(info.memory!.pagedOutBlocks).toBeGreaterThanOrEqual(2);
    const layouts = events.filter((e) => e.type === 'memory.layout' && e.pid === pid) as Extract<KernelEvent, { type: 'memory.layout' }>[];
    for (const layout of layouts) {
      const used = layout.regions.system + layout.regions.fifo + layout.regions.working + layout.regions.summary + layout.regions.recall;
      expect(used).toBeLessThanOrEqual(0.75 * layout.contextSize + 128);
    }
    // After a page-out the next slice evaluates the new tail and the new step, not the whole window again.
    const counters = (): Extract<KernelEvent, { type: 'proc.counters' }>[] =>
      events.filter((e) => e.type === 'proc.counters' && e.pid === pid) as Extract<KernelEvent, { type: 'proc.counters' }>[];
    await expect.poll(() => counters().filter((c) => c.seq > outs[1]!.seq).length, { timeout: 30_000 }).toBeGreaterThan(0);
    const after = counters().filter((c) => c.seq > outs[1]!.seq);
    const before = counters().filter((c) => c.seq < outs[1]!.seq).at(-1)!;
    expect(after[0]!.counters.tokensIn - before.counters.tokensIn).toBeLessThan(0.5 * 896);
    kernel.kill(pid);
  });

  it('memory_search finds paged-out blocks by hybrid search; another agent needs a grant to read them', async () => {
    const { kernel, events } = await boot(dir());
    const pid = await runPastWindow(kernel, events);
    kernel.kill(pid);
    const block = pagedOut(events)[0]!.blocks[0]!;
    const context = (agentId: string) => ({
      pid,
      agentId,
      agentName: agentId,
      policy: 'strict' as const,
      signal: new AbortController().signal,
      syscall: (request: Parameters<typeof kernel.dispatcher.dispatch>[1]) => kernel.dispatcher.dispatch(pid, request, new AbortController().signal),
    });
    const found = (await kernel.tools.invoke('memory_search', { query: 'Step 1 Result 1', k: 5 }, context('long-runner'))) as { results: { blockId: string }[] };
    expect(found.results.map((r) => r.blockId)).toContain(block.blockId);
    await expect(kernel.tools.invoke('memory_search', { query: 'Step 1', agent: 'long-runner' }, context('snoop'))).rejects.toMatchObject({
      code: 'CAPABILITY_DENIED',
      message: expect.stringContaining('memory:long-runner'),
    });
    await kernel.sandbox.grant('snoop', 'memory_search', 'memory:long-runner', 'session');
    const shared = (await kernel.tools.invoke('memory_search', { query: 'Step 1', agent: 'long-runner', k: 3 }, context('snoop'))) as { results: unknown[] };
    expect(shared.results.length).toBeGreaterThan(0);
  });

  it('pages relevant blocks back in before a step, and paged memory survives a restart', async () => {
    const path = dir();
    const first = await boot(path);
    const pid = await runPastWindow(first.kernel, first.events);
    await expect.poll(() => first.events.some((e) => e.type === 'memory.paged-in' && e.pid === pid), { timeout: 60_000 }).toBe(true);
    first.kernel.kill(pid);
    const stored = pagedOut(first.events).reduce((sum, e) => sum + e.blocks.length, 0);
    await first.kernel.dispose();
    const second = await boot(path);
    const response = await second.kernel.dispatcher.dispatch(pid, { call: 'memory.search', query: 'Step Result', k: 20 }, new AbortController().signal);
    expect(response).toMatchObject({ ok: true });
    expect((response as { value: { results: unknown[] } }).value.results.length).toBe(Math.min(20, stored));
    const listed = (await handleKernelRequest(second.kernel, 'memory.blocks', { agentId: 'long-runner', limit: 500 })) as { blockId: string }[];
    expect(listed.length).toBe(stored);
    const searched = (await handleKernelRequest(second.kernel, 'memory.blocks', { agentId: 'long-runner', query: 'Result', limit: 3 })) as { score: number | null }[];
    expect(searched.length).toBe(3);
    expect(searched.every((block) => typeof block.score === 'number')).toBe(true);
  });

  it('a huge message is split into blocks, not dropped, and the agent goes on', async () => {
    const { kernel, events } = await boot(dir());
    const chat = { ...longRunner, id: 'chat', kind: 'interactive', tools: [], model: { maxSteps: 3, maxTokensPerStep: 128 } };
    const { pid } = kernel.spawn(chat, 'Say hello.', 'interactive', true);
    await expect.poll(() => kernel.table.get(pid).state, { timeout: 60_000 }).toBe('waiting');
    const huge = Array.from({ length: 400 }, (_, i) => `line ${i}: the quick brown fox`).join('\n');
    kernel.input(pid, huge);
    await expect.poll(() => pagedOut(events).some((e) => e.pid === pid && e.blocks.length > 3), { timeout: 60_000 }).toBe(true);
    const input = kernel.transcript(pid).find((e) => e.kind === 'input') as { text: string };
    expect(input.text).toMatch(/more characters are in long-term memory as blocks/);
    await expect.poll(() => kernel.table.get(pid).counters.steps, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    expect(kernel.table.get(pid).state).not.toBe('crashed');
    kernel.kill(pid);
  });

  it.each([
    ['a path that is a file, not a folder', (path: string) => (writeFileSync(path, 'not a folder'), path)],
    [
      'a corrupt LanceDB folder',
      (path: string) => {
        mkdirSync(join(path, 'blocks.lance', '_versions'), { recursive: true });
        writeFileSync(join(path, 'blocks.lance', '_versions', '1.manifest'), 'garbage');
        return path;
      },
    ],
  ])('with %s the kernel says why, and agents run on without long-term memory, losing nothing from the journal', async (_label, make) => {
    const path = dir();
    const memoryDir = make(join(path, 'memory'));
    const { kernel, events } = await boot(join(path, 'data'), { memoryDir });
    expect(kernel.info().memory).toMatchObject({ available: false, reason: expect.stringContaining('cannot be used') });
    expect(kernel.info().warnings).toContainEqual(expect.stringContaining('long-term memory'));
    const pid = await runPastWindow(kernel, events);
    expect(pagedOut(events).every((e) => !e.stored && e.error)).toBe(true);
    kernel.kill(pid);
    const journaled = readJournal(join(path, 'data', 'journal', 'events.jsonl')).events.filter((e) => e.type === 'proc.step' && e.pid === pid);
    expect(journaled.length).toBe(kernel.table.get(pid).counters.steps - kernel.transcript(pid).filter((e) => e.kind === 'rejected').length);
    expect(readdirSync(join(path, 'data'))).toContain('journal');
  });
});
