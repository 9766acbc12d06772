import { spawn } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../src-shared/index.js';
import { bootTestKernel, tempDir, testChatModelPath } from '../test-support/fixtures.js';
import { packageRoot } from '../settings.js';
import { handleKernelRequest, readJournal, type Kernel, type KernelConfig } from './index.js';
import { readKvState } from './llm/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dataDir(): string {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  return dir.path;
}

async function boot(path: string, overrides: Partial<KernelConfig> = {}): Promise<{ kernel: Kernel; events: KernelEvent[] }> {
  const kernel = await bootTestKernel(path, { slots: 2, ...overrides });
  cleanups.push(() => kernel.dispose());
  const events: KernelEvent[] = [];
  kernel.bus.on((event) => events.push(event));
  return { kernel, events };
}

const worker = (steps: number) => ({
  id: 'worker',
  name: 'Worker',
  description: 'computes',
  systemPrompt: 'You compute things with the calculator.',
  kind: 'background',
  tools: ['calculator'],
  model: { maxSteps: steps, maxTokensPerStep: 100, toolFirst: true },
});

const journaled = (path: string): KernelEvent[] => readJournal(join(path, 'journal', 'events.jsonl')).events;

const stepsDone = (kernel: Kernel, pid: number): number => kernel.transcript(pid).filter((e) => e.kind === 'tool-result' || e.kind === 'rejected').length;

describe('snapshots', () => {
  it('an agent snapshots after each step; after a clean restart it resumes from the snapshot without re-prefilling', async () => {
    const path = dataDir();
    const first = await boot(path);
    const { pid } = first.kernel.spawn(worker(50), 'Compute 3 * 4 and more.');
    await expect.poll(() => stepsDone(first.kernel, pid), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    first.kernel.suspend(pid);
    const snapshots = first.events.filter((e) => e.type === 'proc.snapshot' && e.pid === pid);
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    expect(snapshots.every((e) => e.type === 'proc.snapshot' && e.ok && e.bytes > 0 && e.tokens > 0)).toBe(true);
    const outputBefore = first.kernel.transcript(pid).filter((e) => e.kind === 'output');
    await first.kernel.dispose();

    const second = await boot(path);
    expect(second.kernel.report.recovered).toEqual([pid]);
    await expect.poll(() => second.events.find((e) => e.type === 'sched.swap' && e.pid === pid && e.direction === 'in'), { timeout: 30_000 }).toMatchObject({ ok: true });
    await expect.poll(() => second.kernel.table.get(pid).counters.steps, { timeout: 30_000 }).toBeGreaterThan(snapshots.length);
    // The first slice after the restore evaluated only what came after the snapshot, not the whole prompt again.
    const firstSlice = second.events.find((e) => e.type === 'proc.counters' && e.pid === pid);
    const restoredIn = (firstSlice as { counters: { tokensIn: number } }).counters.tokensIn - first.kernel.table.get(pid).counters.tokensIn;
    expect(restoredIn).toBeLessThan(200);
    // Finished steps keep their output as it was; a step the suspend cut short is kept apart (an
    // `interrupted` entry) from its regenerated output, never glued to it.
    const finishedSteps = snapshots.length;
    const finishedOutput = (entries: ReturnType<Kernel['transcript']>) => entries.filter((e) => e.kind === 'output' && e.step <= finishedSteps);
    expect(finishedOutput(second.kernel.transcript(pid))).toEqual(finishedOutput(outputBefore));
    const cutShort = outputBefore.find((e) => e.kind === 'output' && e.step > finishedSteps);
    if (cutShort && cutShort.kind === 'output') {
      expect(second.kernel.transcript(pid)).toContainEqual(expect.objectContaining({ kind: 'interrupted', step: cutShort.step, text: cutShort.text }));
    }
    second.kernel.kill(pid);
  });

  it('after kill -9 in the middle of several agents, every agent resumes on its own from its snapshot and the journal', async () => {
    const path = dataDir();
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot(), 'src-main', 'test-support', 'crash-child.ts'), path, 'a dragon', 'a boat'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let tokens = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      if ((JSON.parse(line) as { pid?: number }).pid !== undefined && ++tokens === 400) child.kill('SIGKILL');
    }
    await exited;
    const { kernel, events } = await boot(path);
    expect(kernel.report.recovered).toEqual([1, 2]);
    for (const pid of [1, 2]) {
      expect(kernel.table.get(pid).state).not.toBe('suspended');
      const before = kernel.transcript(pid).filter((e) => e.kind === 'output').length;
      await expect.poll(() => kernel.transcript(pid).filter((e) => e.kind === 'output').length, { timeout: 30_000 }).toBeGreaterThan(before);
    }
    expect(events.filter((e) => e.type === 'sched.swap' && e.direction === 'in' && e.ok).map((e) => (e as { pid: number }).pid).sort()).toEqual([1, 2]);
  });

  it.each([
    ['corrupt', (file: string) => {
      const bytes = readFileSync(file);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
      writeFileSync(file, bytes);
    }, /checksum/],
    ['truncated', (file: string) => truncateSync(file, 200), /truncated|damaged/],
    ['not a state file', (file: string) => writeFileSync(file, 'hello'), /not a KV state file/],
  ])('a %s snapshot is refused with the reason, and the agent re-prefills from the journal and goes on', async (_label, damage, reason) => {
    const path = dataDir();
    const first = await boot(path);
    const { pid } = first.kernel.spawn(worker(50), 'Compute 6 * 7.');
    await expect.poll(() => stepsDone(first.kernel, pid), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    first.kernel.suspend(pid);
    await first.kernel.dispose();
    damage(join(path, 'snapshots', `pid-${pid}.kv`));
    const second = await boot(path);
    expect(journaled(path).find((e) => e.type === 'proc.restore-refused')).toMatchObject({ pid, reason: expect.stringMatching(reason) });
    const steps = second.kernel.table.get(pid).counters.steps;
    await expect.poll(() => second.kernel.table.get(pid).counters.steps, { timeout: 30_000 }).toBeGreaterThan(steps);
    second.kernel.kill(pid);
  });
});

describe('KV handoff', () => {
  it('kv mode starts the receiver from the sender state, evaluating only its own instruction; text mode re-prefills the transcript', async () => {
    const { kernel, events } = await boot(dataDir());
    const sender = kernel.spawn(worker(3), 'Compute 12 * 12, then 7 + 5, then 9 - 4.').pid;
    await kernel.wait(sender, 60_000);
    const receiver = { ...worker(1), id: 'receiver', model: { maxSteps: 1, maxTokensPerStep: 60 } };
    const kv = await handleKernelRequest(kernel, 'ipc.handoff', { from: sender, agent: receiver, task: 'Go on.', mode: 'kv' }) as { process: { pid: number }; mode: string };
    expect(kv.mode).toBe('kv');
    await kernel.wait(kv.process.pid, 60_000);
    const text = await handleKernelRequest(kernel, 'ipc.handoff', { from: sender, agent: receiver, task: 'Go on.', mode: 'text' }) as { process: { pid: number }; mode: string };
    await kernel.wait(text.process.pid, 60_000);
    const handoff = events.find((e) => e.type === 'ipc.handoff' && e.mode === 'kv') as { tokens: number };
    const kvIn = kernel.table.get(kv.process.pid).counters.tokensIn;
    const textIn = kernel.table.get(text.process.pid).counters.tokensIn;
    expect(handoff.tokens).toBeGreaterThan(100);
    // The sender's tokens were not evaluated again by the kv receiver.
    expect(kvIn).toBeLessThan(textIn);
    expect(kvIn).toBeLessThan(handoff.tokens);
    expect(events.find((e) => e.type === 'sched.swap' && e.pid === kv.process.pid && e.direction === 'in')).toMatchObject({ ok: true });
  });

  it('falls back to text, with the reason, when the sender has no compatible state', async () => {
    const { kernel } = await boot(dataDir(), { snapshotEverySteps: 0 });
    const sender = kernel.spawn(worker(1), 'Compute 1 + 1.').pid;
    await kernel.wait(sender, 60_000);
    const result = await kernel.handoff(sender, { ...worker(1), id: 'receiver' }, 'Go on.', 'kv');
    expect(result).toMatchObject({ mode: 'text', reason: expect.stringContaining('has no snapshot') });
    expect(result.process.task).toContain(`Context handed over from Worker (pid ${sender})`);
  });
});

describe('mailboxes', () => {
  it('delivers messages at the next step and pushes back when full', async () => {
    const { kernel } = await boot(dataDir());
    const { pid } = kernel.spawn({ ...worker(1000), id: 'listener' }, 'Compute things.');
    kernel.suspend(pid);
    expect(kernel.send(pid, 'hello from a friend', 'friend')).toEqual({ queued: 1 });
    expect(kernel.send(pid, 'and another', 'friend')).toEqual({ queued: 2 });
    await kernel.resume(pid);
    await expect.poll(() => kernel.transcript(pid).filter((e) => e.kind === 'input').length, { timeout: 30_000 }).toBe(2);
    expect(kernel.transcript(pid)).toContainEqual(expect.objectContaining({ kind: 'input', text: 'Message from friend: hello from a friend' }));
    // A mailbox that is not read fills up, and then pushes back on the sender.
    kernel.suspend(pid);
    for (let i = 1; i <= 64; i++) kernel.send(pid, `message ${i}`);
    expect(() => kernel.send(pid, 'one too many')).toThrow(/mailbox is full/);
    // Even 64 waiting messages fit the window: the oldest are left out, none crash the agent.
    await kernel.resume(pid);
    await expect.poll(() => kernel.transcript(pid).filter((e) => e.kind === 'input').length, { timeout: 30_000 }).toBe(66);
    expect(kernel.table.get(pid).exit?.reason ?? 'alive').toBe('alive');
    kernel.kill(pid);
  });
});

/**
 * The quantized KV cache on the real instruct model (SmolLM2-135M, head dim 64: llama.cpp's quant
 * blocks fit, and a quantized V cache runs with flash attention). Missing, `testChatModelPath()`
 * fails with the one line that says how to get it. Few tokens and one thread, to stay quick.
 */
describe('quantized KV on the real model', () => {
  const sender = { ...worker(1), model: { maxSteps: 1, maxTokensPerStep: 24, toolFirst: true } };
  const receiver = { ...worker(1), id: 'receiver', model: { maxSteps: 1, maxTokensPerStep: 8 } };

  it('f16, q8_0 and q4_0 load, generate, save a state of their own type, hand it over and shrink it in that order', async () => {
    const modelPath = testChatModelPath();
    const bytesPerToken: Record<string, number> = {};
    for (const kvType of ['f16', 'q8_0', 'q4_0'] as const) {
      const { kernel, events } = await boot(dataDir(), { modelPath, kvType });
      expect(kernel.info().model).toMatchObject({ kvType, headDim: 64 });
      const from = kernel.spawn(sender, 'Compute 2 + 2.').pid;
      await kernel.wait(from, 60_000);
      expect(kernel.transcript(from).some((e) => e.kind === 'output' && e.text.length > 0)).toBe(true);
      const snapshot = events.find((e) => e.type === 'proc.snapshot' && e.pid === from && e.ok) as { bytes: number; tokens: number };
      bytesPerToken[kvType] = snapshot.bytes / snapshot.tokens;
      const { header } = await readKvState(join(kernel.config.dataDir, 'snapshots', `pid-${from}.kv`));
      expect(header.kvType).toBe(kvType);
      // The receiver starts from the saved state, loaded into another slot: the sender is not prefilled again.
      const handoff = await kernel.handoff(from, receiver, 'Go on.', 'kv');
      expect(handoff).toMatchObject({ mode: 'kv' });
      await kernel.wait(handoff.process.pid, 60_000);
      expect(events.find((e) => e.type === 'sched.swap' && e.pid === handoff.process.pid && e.direction === 'in')).toMatchObject({ ok: true });
      expect(kernel.table.get(handoff.process.pid).counters.tokensIn).toBeLessThan(snapshot.tokens);
      expect(kernel.transcript(handoff.process.pid).some((e) => e.kind === 'output' && e.text.length > 0)).toBe(true);
      await kernel.dispose();
    }
    expect(bytesPerToken.q8_0!).toBeLessThan(bytesPerToken.f16!);
    expect(bytesPerToken.q4_0!).toBeLessThan(bytesPerToken.q8_0!);
  });

  it('a q4_0 state is restored after a restart with the same KV type, and refused, with the reason, by an f16 context', async () => {
    const modelPath = testChatModelPath();
    const path = dataDir();
    const first = await boot(path, { modelPath, kvType: 'q4_0', slots: 1 });
    const { pid } = first.kernel.spawn(worker(50), 'Compute 2 + 2.');
    await expect.poll(() => first.events.some((e) => e.type === 'proc.snapshot' && e.pid === pid && e.ok), { timeout: 60_000 }).toBe(true);
    first.kernel.suspend(pid);
    await first.kernel.dispose();

    const second = await boot(path, { modelPath, kvType: 'q4_0', slots: 1 });
    await expect.poll(() => second.events.find((e) => e.type === 'sched.swap' && e.pid === pid && e.direction === 'in'), { timeout: 60_000 }).toMatchObject({ ok: true });
    second.kernel.suspend(pid);
    await second.kernel.dispose();

    const f16 = await boot(path, { modelPath, kvType: 'f16', slots: 1 });
    expect(journaled(path).find((e) => e.type === 'proc.restore-refused')).toMatchObject({ pid, reason: expect.stringContaining("its KV type is q4_0, the context's is f16") });
    f16.kernel.kill(pid);
  });

  it('a model whose head dimension rules out a quantized cache says so', async () => {
    const refused = await boot(dataDir(), { kvType: 'q8_0' });
    expect(refused.kernel.info().modelError).toMatch(/needs a head dimension that is a multiple of 32 .*; stories260K.gguf has 8/);
  });
});
