import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { bootTestKernel, tempDir, testKernelConfig } from '../test-support/fixtures.js';
import { Kernel } from './kernel.js';
import { packageRoot } from '../settings.js';
import { bootReportLines } from '../cli/commands-local.js';
import { readJournal } from './core/journal.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs a kernel in a child, reads its streamed output until `tokens` pieces arrived, then kill -9. */
async function crashAfter(dataDir: string, tasks: string[], tokens: number, env: Record<string, string> = {}): Promise<Map<number, string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot(), 'src-main', 'test-support', 'crash-child.ts'), dataDir, ...tasks], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const printed = new Map<number, string>();
  let count = 0;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line) as { pid?: number; text?: string };
    if (message.pid === undefined) continue;
    printed.set(message.pid, (printed.get(message.pid) ?? '') + message.text);
    if (++count === tokens) child.kill('SIGKILL');
  }
  await exited;
  return printed;
}

describe('crash recovery', () => {
  it.each([
    ['', {}],
    // Compacted every 40 events: the kill lands between compactions, or in the middle of one.
    [' (journal compacted as it grows)', { CRASH_COMPACT_EVENTS: '40' }],
  ])('after kill -9 mid-generation, the journal rebuilds every process and all streamed output%s', async (_label, env: Record<string, string>) => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const printed = await crashAfter(dir.path, ['a dragon', 'a small boat', 'the moon'], 300, env);
    const journalLines = readFileSync(join(dir.path, 'journal', 'events.jsonl'), 'utf8').split('\n').length;
    // Compacted, the journal holds a snapshot and at most 40 events after it; else every token is a line.
    if (env.CRASH_COMPACT_EVENTS) expect(journalLines).toBeLessThan(120);
    else expect(journalLines).toBeGreaterThan(300);
    expect(printed.size).toBeGreaterThanOrEqual(2);

    const kernel = await bootTestKernel(dir.path, { recovery: 'suspend' });
    cleanups.push(() => kernel.dispose());
    const processes = kernel.listProcesses();
    expect(processes.map((p) => p.pid)).toEqual([1, 2, 3]);
    expect(kernel.report.recovered).toEqual([1, 2, 3]);
    // Asked to wait: each says so, and why.
    expect(kernel.report.recovery).toEqual([1, 2, 3].map((pid) => ({ pid, outcome: 'suspended', reason: expect.stringContaining('resume on boot is off') })));
    expect(bootReportLines(kernel.report)).toContain('  pid 1: suspended (resume on boot is off: resume it to continue from the journal)');
    for (const info of processes) {
      expect(info.state).toBe('suspended');
      // The step each was in the middle of is marked interrupted, its text kept apart.
      const journaled = kernel
        .transcript(info.pid)
        .map((entry) => (entry.kind === 'output' || entry.kind === 'interrupted' ? entry.text : ''))
        .join('');
      const seen = printed.get(info.pid) ?? '';
      // Everything the child streamed is in the journal; at most the in-flight token is beyond it.
      expect(journaled.startsWith(seen)).toBe(true);
      expect(journaled.length - seen.length).toBeLessThanOrEqual(16);
    }

    // A recovered process goes on from its journaled steps.
    const before = kernel.table.get(1).counters.steps;
    await kernel.resume(1);
    await new Promise<void>((resolve) => {
      const off = kernel.bus.on((e) => {
        if ((e.type === 'proc.step' || e.type === 'proc.step-rejected') && e.pid === 1 && e.step > before) {
          off();
          resolve();
        }
      });
    });
    expect(kernel.table.get(1).counters.steps).toBeGreaterThanOrEqual(before);
    kernel.kill(1);
    expect(kernel.table.get(1).state).toBe('exited');
  });

  it('after kill -9 mid-step: the partial output is marked interrupted, steps taken count against maxSteps, counters carry over', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    // The child dies (SIGKILL, from inside) right after the journal took the 3rd token of step 2.
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot(), 'src-main', 'test-support', 'crash-child.ts'), dir.path, 'a dragon'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, CRASH_AT_STEP: '2', CRASH_AFTER_TOKENS: '3', CRASH_MAX_STEPS: '4' },
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    let partial = '';
    for await (const line of createInterface({ input: child.stdout })) {
      const message = JSON.parse(line) as { pid?: number; step?: number; text?: string };
      if (message.pid === 1 && message.step === 2) partial += message.text;
    }
    expect(await exited).toBe('SIGKILL');
    const path = join(dir.path, 'journal', 'events.jsonl');
    const before = readJournal(path).events;
    // As if it had been swapped and preempted before the crash: those counters must survive too.
    const last = before.filter((e) => e.type === 'proc.counters' && e.pid === 1).at(-1);
    const counters = last?.type === 'proc.counters' ? last.counters : null;
    expect(counters?.steps).toBe(1);
    appendFileSync(path, JSON.stringify({ type: 'proc.counters', pid: 1, counters: { ...counters, preemptions: 2, swapsOut: 3, swapsIn: 3 }, seq: before.at(-1)!.seq + 1, at: Date.now() }) + '\n');

    const regenerated: string[] = [];
    const kernel = await Kernel.boot(testKernelConfig(dir.path), (event) => {
      if (event.type === 'proc.output' && event.pid === 1 && event.step === 2) regenerated.push(event.text);
    });
    cleanups.push(() => kernel.dispose());
    expect(kernel.report.recovery).toEqual([{ pid: 1, outcome: 'resumed', reason: expect.any(String) }]);
    const done = await kernel.wait(1, 120_000);

    // One step limit for the whole life of the process, restarts included.
    expect(done.exit).toMatchObject({ code: 2, reason: expect.stringContaining('step limit of 4') });
    const transcript = kernel.transcript(1);
    const finished = transcript.filter((entry) => entry.kind === 'tool-result' || entry.kind === 'rejected');
    expect(finished.map((entry) => (entry.kind === 'tool-result' || entry.kind === 'rejected' ? entry.step : 0))).toEqual([1, 2, 3, 4]);
    expect(done.counters.steps).toBe(4);
    expect(done.counters.toolCalls).toBe(transcript.filter((entry) => entry.kind === 'tool-result').length);
    expect(done.counters.preemptions).toBeGreaterThanOrEqual(2);
    expect(done.counters.swapsOut).toBeGreaterThanOrEqual(3);

    // The cut-short step 2: its partial text apart and marked, its output only what was generated again.
    expect(transcript.filter((entry) => entry.kind === 'interrupted')).toEqual([{ kind: 'interrupted', step: 2, text: partial, reason: expect.any(String) }]);
    const outputs = transcript.filter((entry) => entry.kind === 'output' && entry.step === 2);
    expect(outputs).toEqual([{ kind: 'output', step: 2, text: regenerated.join('') }]);

    // Sequence numbers rise strictly across the crash and the restart.
    const seqs = readJournal(path).events.map((event) => event.seq);
    expect(seqs.every((seq, index) => index === 0 || seq > seqs[index - 1]!)).toBe(true);
  });
});
