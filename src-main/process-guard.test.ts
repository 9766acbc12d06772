import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from './settings.js';

const CHILD = join(packageRoot(), 'src-main', 'test-support', 'last-resort-child.ts');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function start(mode: 'rejection' | 'exception') {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], { cwd: packageRoot(), stdio: ['pipe', 'pipe', 'pipe'] });
  child.on('error', () => {});
  cleanups.push(() => child.kill('SIGKILL'));
  const stderr: string[] = [];
  const waiting: { pattern: RegExp; resolve: () => void }[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    for (const waiter of waiting.filter((w) => w.pattern.test(stderr.join('\n')))) waiter.resolve();
  });
  const logged = (pattern: RegExp): Promise<void> =>
    new Promise((resolve) => (pattern.test(stderr.join('\n')) ? resolve() : waiting.push({ pattern, resolve })));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stderr, logged, exited };
}

describe('the last-resort handler (amk serve, amk mcp, the app main process)', () => {
  it('logs an unhandled rejection with its prefix, syncs the journal, and keeps serving', async () => {
    const { child, logged } = start('rejection');
    await logged(/amk last resort \[test child\]: unhandled promise rejection \(a bug; still serving\): Error: a forgotten promise[\s\S]*flush called[\s\S]*journal flushed/);
    const answer = new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    child.stdin!.write('ping\n');
    expect(await answer).toBe('pong ping');
    expect(child.exitCode).toBeNull();
  });

  it('logs an uncaught exception, syncs the journal, and exits with 70', async () => {
    const { stderr, exited } = start('exception');
    expect(await exited).toBe(70);
    const log = stderr.join('\n');
    expect(log).toMatch(/amk last resort \[test child\]: uncaught exception \(uncaughtException; a bug; exiting\): Error: a thrown bug/);
    expect(log).toContain('flush called');
  });
});
