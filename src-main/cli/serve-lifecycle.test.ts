import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../settings.js';
import { tempDir } from '../test-support/fixtures.js';

const MAIN = join(packageRoot(), 'src-main', 'cli', 'main.ts');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `amk serve` without a model (it boots fast and still serves), in a fresh data directory. */
function startServe(extra: string[]) {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const { AMK_MODEL: _configuredModel, ...inherited } = process.env;
  const env = { ...inherited, AMK_THREADS: '1', AMK_GPU: 'cpu' };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--data-dir', dir.path, ...extra], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  const serving = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (stdout.includes('serving at')) resolve();
    });
    void exited.then((code) => reject(new Error(`amk serve exited (${code}) before serving: ${stderr}`)));
  });
  // Tests that expect it to fail never await this.
  serving.catch(() => {});
  return { dir: dir.path, child, exited, serving, output: () => ({ stdout, stderr }) };
}

function amk(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/**
 * Each test drives the real CLI in child processes (a fresh Node with tsx per command: 2-7 s each
 * on a loaded 2-core machine), so a test's run time is bounded work, not a measure; the limit is a
 * hang guard only.
 */
const CLI_LIMIT_MS = 300_000;

describe('amk command line', { timeout: CLI_LIMIT_MS }, () => {
  it('takes a negative nice value as a value, not as an unknown flag', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const negative = await amk(['renice', '14', '-5', '--data-dir', dir.path]);
    // Parsed, checked, and sent on: no kernel runs in this data directory.
    expect(negative.stderr).not.toContain('Unknown option');
    expect(negative.code).toBe(3);
    const outOfRange = await amk(['renice', '14', '-25', '--data-dir', dir.path]);
    expect(outOfRange.code).toBe(2);
    expect(outOfRange.stderr).toContain('nice must be an integer from -20 to 19, got "-25"');
  });

  it('refuses a flag the command does not take, naming both, before doing anything', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const ps = await amk(['ps', '--task', 'x', '--data-dir', dir.path]);
    expect(ps.code).toBe(2);
    expect(ps.stderr).toContain('amk ps does not take --task');
    // A kernel-booting command is refused before it boots (no lock taken).
    const serve = await amk(['serve', '--data-dir', dir.path, '--all']);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('amk serve does not take --all');
    expect(existsSync(join(dir.path, 'kernel.lock'))).toBe(false);
  });
});

describe('amk serve lifecycle', { timeout: CLI_LIMIT_MS }, () => {
  it('shuts down once and cleanly whatever number of signals arrive (Ctrl+C reaches it twice under npm start)', async () => {
    const serve = startServe(['--port', '0']);
    await serve.serving;
    expect(existsSync(join(serve.dir, 'kernel.lock'))).toBe(true);
    serve.child.kill('SIGINT');
    serve.child.kill('SIGINT');
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    const { stdout } = serve.output();
    expect(stdout).toMatch(/SIG(INT|TERM): shutting down/);
    expect(stdout).toContain('stopped cleanly');
    expect(stdout.match(/shutting down/g)).toHaveLength(1);
    expect(existsSync(join(serve.dir, 'kernel.lock'))).toBe(false);
    expect(existsSync(join(serve.dir, 'serve.json'))).toBe(false);
  });

  it('refuses a bad --port before booting, and ends with a clear error when the port is taken', async () => {
    const bad = startServe(['--port', '70000']);
    expect(await bad.exited).toBe(2);
    expect(bad.output().stderr).toContain('--port must be 0-65535');
    expect(existsSync(join(bad.dir, 'kernel.lock'))).toBe(false);

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const busy = startServe(['--port', String((taken.address() as AddressInfo).port)]);
    expect(await busy.exited).toBe(1);
    expect(busy.output().stderr).toContain('the port is in use');
    expect(existsSync(join(busy.dir, 'kernel.lock'))).toBe(false);
  });
});
