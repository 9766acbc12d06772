import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { packageRoot } from '../settings.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs a kernel in a child, reads its streamed output until `tokens` pieces arrived, then kill -9. */
async function crashAfter(dataDir: string, tasks: string[], tokens: number): Promise<Map<number, string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot(), 'src-main', 'test-support', 'crash-child.ts'), dataDir, ...tasks], {
    stdio: ['ignore', 'pipe', 'inherit'],
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
  it('after kill -9 mid-generation, the journal rebuilds every process and all streamed output', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const printed = await crashAfter(dir.path, ['a dragon', 'a small boat', 'the moon'], 300);
    expect(printed.size).toBeGreaterThanOrEqual(2);

    const kernel = await bootTestKernel(dir.path, { recovery: 'suspend' });
    cleanups.push(() => kernel.dispose());
    const processes = kernel.listProcesses();
    expect(processes.map((p) => p.pid)).toEqual([1, 2, 3]);
    expect(kernel.report.recovered).toEqual([1, 2, 3]);
    for (const info of processes) {
      expect(info.state).toBe('suspended');
      const journaled = kernel
        .transcript(info.pid)
        .filter((entry) => entry.kind === 'output')
        .map((entry) => (entry.kind === 'output' ? entry.text : ''))
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
});
