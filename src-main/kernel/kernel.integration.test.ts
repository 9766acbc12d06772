import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../src-shared/index.js';
import { bootTestKernel, tempDir, testModelPath } from '../test-support/fixtures.js';
import { readFileSync } from 'node:fs';
import { handleKernelRequest, ProcessTable, readJournal, type Kernel } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function kernelInTemp(overrides = {}): Promise<{ kernel: Kernel; dataDir: string }> {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const kernel = await bootTestKernel(dir.path, overrides);
  cleanups.push(() => kernel.dispose());
  return { kernel, dataDir: dir.path };
}

describe('kernel with the real model', () => {
  it('runs three agents to completion, and every tool call the model emits fits its schema', async () => {
    const { kernel } = await kernelInTemp();
    expect(kernel.info().model).toMatchObject({ backend: 'cpu', threads: 1, slots: 4 });
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const pids = [
      kernel.spawn('math-tutor', 'What is 12 times 7?').pid,
      kernel.spawn('unit-converter', 'How many meters are 3 miles?').pid,
      kernel.spawn('text-analyst', 'Count the words in: the cat sat on the mat.').pid,
    ];
    const finished = await Promise.all(pids.map((pid) => kernel.wait(pid, 60_000)));
    for (const info of finished) {
      expect(info.state).toBe('exited');
      expect(info.counters.tokensOut).toBeGreaterThan(0);
      expect(info.counters.steps).toBeGreaterThan(0);
    }
    // All three held slots at the same time: concurrency, not one after another.
    const running = new Set(events.filter((e) => e.type === 'proc.state' && e.state === 'running').map((e) => (e as { slot: number }).slot));
    expect(running.size).toBeGreaterThan(1);

    const ajv = new Ajv({ strict: false });
    const schemas = new Map(kernel.listTools().map((tool) => [tool.name, ajv.compile(tool.inputSchema)]));
    const calls = events.filter((e) => e.type === 'proc.step' && e.action.type === 'tool');
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      if (call.type !== 'proc.step' || call.action.type !== 'tool') continue;
      const validate = schemas.get(call.action.tool);
      expect(validate, call.action.tool).toBeDefined();
      expect(validate!(call.action.args), JSON.stringify(call.action)).toBe(true);
    }
  });

  it('rebuilds the same process table and transcripts from the journal', async () => {
    const { kernel, dataDir } = await kernelInTemp();
    const pids = [kernel.spawn('math-tutor', 'Add 2 and 3.').pid, kernel.spawn('storyteller', 'A cat and a boat.').pid];
    await Promise.all(pids.map((pid) => kernel.wait(pid, 60_000)));
    const replayed = new ProcessTable();
    const { events, skippedLines } = readJournal(join(dataDir, 'journal', 'events.jsonl'));
    expect(skippedLines).toEqual([]);
    for (const event of events) replayed.apply(event);
    expect(replayed.list()).toEqual(kernel.listProcesses());
    for (const pid of pids) {
      expect(replayed.transcript(pid)).toEqual(kernel.transcript(pid));
      expect(kernel.transcript(pid).some((entry) => entry.kind === 'output')).toBe(true);
    }
  });

  it('suspends, renices, resumes and kills at runtime', async () => {
    const { kernel } = await kernelInTemp();
    const story = {
      id: 'long-story',
      name: 'Long story',
      description: 'writes until stopped',
      systemPrompt: 'Tell a long story.',
      kind: 'background',
      model: { maxSteps: 50, maxTokensPerStep: 256, maxAnswerChars: 240 },
    };
    const pid = kernel.spawn(story, 'Once upon a time').pid;
    await new Promise<void>((resolve) => {
      const off = kernel.bus.on((e) => e.type === 'proc.output' && e.pid === pid && (off(), resolve()));
    });
    expect(kernel.suspend(pid).state).toBe('suspended');
    const outAtSuspend = kernel.transcript(pid).filter((e) => e.kind === 'output').length;
    await new Promise((r) => setTimeout(r, 100));
    expect(kernel.table.get(pid).state).toBe('suspended');
    expect(kernel.transcript(pid).filter((e) => e.kind === 'output').length).toBe(outAtSuspend);
    expect(kernel.renice(pid, { nice: 7, class: 'idle' }).priority).toEqual({ class: 'idle', nice: 7 });
    expect((await kernel.resume(pid)).state).not.toBe('suspended');
    const killed = kernel.kill(pid);
    expect(killed).toMatchObject({ state: 'exited', exit: { code: 137, reason: 'killed' } });
    expect(() => kernel.kill(pid)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    // The kernel goes on serving others.
    const next = kernel.spawn('math-tutor', 'What is 1 + 1?');
    expect((await kernel.wait(next.pid, 60_000)).state).toBe('exited');

    // Clearing finished processes: live ones are refused, cleared ones stay gone after a restart, pids are not reused.
    const live = kernel.spawn(story, 'Another time');
    kernel.suspend(live.pid);
    await expect(kernel.reap([live.pid])).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await kernel.reap()).toEqual([pid, next.pid]);
    expect(kernel.listProcesses().map((info) => info.pid)).toEqual([live.pid]);
    const replayed = new ProcessTable();
    for (const event of readJournal(join(kernel.config.dataDir, 'journal', 'events.jsonl')).events) replayed.apply(event);
    expect(replayed.list().map((info) => info.pid)).toEqual([live.pid]);
    expect(kernel.spawn('math-tutor', 'x').pid).toBe(live.pid + 1);
  });
});

describe('bad input gets a specific error and the kernel keeps serving', () => {
  it('names the bad manifest field, an unknown tool, an unknown agent, and a bad API request', async () => {
    const { kernel } = await kernelInTemp();
    const base = { id: 'x', name: 'X', description: 'x', systemPrompt: 'x', kind: 'background' };
    const call = (method: string, params: unknown) => handleKernelRequest(kernel, method, params);
    await expect(call('proc.spawn', { agent: { ...base, kind: 7 }, task: 't' })).rejects.toMatchObject({
      code: 'INVALID_MANIFEST',
      message: expect.stringContaining('field `kind`'),
    });
    const { systemPrompt: _, ...noPrompt } = base;
    await expect(call('proc.spawn', { agent: noPrompt, task: 't' })).rejects.toMatchObject({
      message: expect.stringContaining('field `systemPrompt`'),
    });
    await expect(call('proc.spawn', { agent: { ...base, tools: ['teleport'] }, task: 't' })).rejects.toMatchObject({
      code: 'UNKNOWN_TOOL',
      message: expect.stringContaining('teleport'),
    });
    await expect(call('proc.spawn', { agent: 'no-such-agent', task: 't' })).rejects.toMatchObject({ code: 'UNKNOWN_AGENT' });
    await expect(call('proc.spawn', { agent: 'math-tutor' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('field `task`'),
    });
    await expect(call('proc.kill', { pid: 'one' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(call('proc.kill', { pid: 99 })).rejects.toMatchObject({ code: 'UNKNOWN_PROCESS' });
    await expect(call('proc.teleport', {})).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' });
    const ok = kernel.spawn('math-tutor', 'What is 2 + 2?');
    expect((await kernel.wait(ok.pid, 60_000)).state).toBe('exited');
  });

  it.each([
    ['a missing file', (dir: string) => join(dir, 'missing.gguf'), 'MODEL_NOT_FOUND'],
    ['a file that is not GGUF', (dir: string) => (writeFileSync(join(dir, 'fake.gguf'), 'hello world'), join(dir, 'fake.gguf')), 'MODEL_INVALID'],
    [
      'a truncated GGUF',
      (dir: string) => {
        const bytes = readFileSync(testModelPath());
        writeFileSync(join(dir, 'cut.gguf'), bytes.subarray(0, Math.floor(bytes.length / 3)));
        return join(dir, 'cut.gguf');
      },
      'MODEL_INVALID',
    ],
  ])('a model path to %s: the kernel boots, reports why, and refuses to spawn', async (_label, make, code) => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const modelPath = make(dir.path);
    const { kernel } = await kernelInTemp({ modelPath });
    const info = kernel.info();
    expect(info.model).toBeNull();
    expect(info.modelError).toContain(modelPath);
    expect(() => kernel.spawn('math-tutor', 'x')).toThrow(expect.objectContaining({ code: 'MODEL_NOT_LOADED' }));
    const events = readJournal(join(kernel.config.dataDir, 'journal', 'events.jsonl')).events;
    expect(events.find((e) => e.type === 'model.failed')).toMatchObject({ error: { code } });
  });

  it('refuses a second kernel on the same data directory', async () => {
    const { dataDir } = await kernelInTemp();
    await expect(bootTestKernel(dataDir)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('in use') });
  });
});
