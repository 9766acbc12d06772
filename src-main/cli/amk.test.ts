import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { connectKernel, readConnectionFile, type ConnectionInfo } from '../server/index.js';
import { packageRoot } from '../settings.js';
import { tempDir, testModelPath } from '../test-support/fixtures.js';

const MAIN = join(packageRoot(), 'src-main', 'cli', 'main.ts');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `amk ARGS` from the sources; an `undefined` in `env` removes that variable. */
function amk(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const merged: NodeJS.ProcessEnv = { ...process.env, AMK_THREADS: '1', AMK_GPU: 'cpu', ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: merged });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Each test drives the real CLI in child processes (a fresh Node with tsx per command: 2-7 s each
 * on a loaded 2-core machine), so a test's run time is bounded work, not a measure; the limit is a
 * hang guard only.
 */
const CLI_LIMIT_MS = 300_000;

describe('amk run', { timeout: CLI_LIMIT_MS }, () => {
  it('runs an agent, streams its output and prints a summary', async () => {
    const result = await amk(['run', 'storyteller', '--task', 'a brave little fox', '--model', testModelPath()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('answer:');
    expect(result.stderr).toMatch(/pid 1 storyteller exited \(exit 0: finished\).*tokens in, \d+ out, \d+ tok\/s, 1 steps, 0 tool calls/);
  });

  it('finds a model installed in the data directory, keeps its kernel out of it, and a tool call prints no ExperimentalWarning', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    mkdirSync(join(dir.path, 'models'));
    symlinkSync(testModelPath(), join(dir.path, 'models', 'stories260K.gguf'));
    const manifest = join(dir.path, 'calc.json');
    // toolFirst: the first step is a tool call whatever the model would say, so a Wasm worker starts.
    writeFileSync(manifest, JSON.stringify({ id: 'calc', name: 'Calc', description: 'd', systemPrompt: 'Compute.', kind: 'background', tools: ['calculator'], model: { toolFirst: true, maxSteps: 2 } }));
    const result = await amk(['run', manifest, '--task', 'two plus two', '--data-dir', dir.path], { AMK_MODEL: undefined });
    expect(result.stderr).toMatch(/pid 1 calc exited .* [12] tool calls/);
    expect(result.stderr).toContain('→ calculator');
    expect(result.stderr).not.toContain('ExperimentalWarning');
    // The run's kernel (journal, lock) lived in a temporary directory: a running kernel here is never in its way.
    expect(existsSync(join(dir.path, 'journal'))).toBe(false);
    expect(existsSync(join(dir.path, 'kernel.lock'))).toBe(false);
    const listed = await amk(['models', 'list', '--data-dir', dir.path]);
    expect(listed.stdout).toMatch(/^STATUS\s+ID\s+ROLE\s+SIZE/);
    expect(listed.stdout).toMatch(/\ninstalled\s+stories260K\.gguf\s+imported\s+1\.1 MiB/);
    expect(listed.stdout).toMatch(/ GiB /);
    expect(listed.stdout).not.toMatch(/\bGB\b/);
    expect(listed.stdout).toContain('no model is loaded');
  });

  it('prints usage and exits 2 when called wrongly', async () => {
    expect((await amk([])).code).toBe(2);
    const missingTask = await amk(['run', 'storyteller']);
    expect(missingTask.code).toBe(2);
    expect(missingTask.stderr).toContain('--task');
    expect((await amk(['--frobnicate'])).code).toBe(2);
    expect((await amk(['kill', 'abc'])).stderr).toContain('expected a PID');
  });

  it('names the problem: an unknown agent, a missing model, a broken manifest', async () => {
    const unknown = await amk(['run', 'no-such-agent', '--task', 'x', '--model', testModelPath()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UNKNOWN_AGENT');
    const noModel = await amk(['run', 'storyteller', '--task', 'x', '--model', '/nonexistent/model.gguf']);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toContain('model file not found: /nonexistent/model.gguf');
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const manifest = join(dir.path, 'bad.json');
    writeFileSync(manifest, JSON.stringify({ id: 'bad', name: 'Bad', description: 'd', kind: 'background' }));
    const bad = await amk(['run', manifest, '--task', 'x', '--model', testModelPath()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('field `systemPrompt`');
  });
});

describe('remote commands against amk serve', { timeout: CLI_LIMIT_MS }, () => {
  it('exit 3 when no kernel is running', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const result = await amk(['ps', '--data-dir', dir.path]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('amk serve');
  });

  it('spawn, ps, renice, top and kill talk to a running kernel', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const server: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'serve', '--port', '0', '--data-dir', dir.path, '--model', testModelPath(), '--slots', '2'],
      { env: { ...process.env, AMK_THREADS: '1', AMK_GPU: 'cpu' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const closed = new Promise<number | null>((resolve) => server.once('exit', resolve));
    cleanups.push(async () => {
      server.kill('SIGTERM');
      await closed;
    });
    for await (const line of createInterface({ input: server.stdout! })) if (line.includes('serving at')) break;
    const dataDir = ['--data-dir', dir.path];
    const endless = join(dir.path, 'endless.json');
    writeFileSync(
      endless,
      JSON.stringify({
        id: 'endless',
        name: 'Endless',
        description: 'loops on tools',
        systemPrompt: 'Compute things.',
        kind: 'background',
        tools: ['calculator'],
        model: { maxSteps: 1000 },
      }),
    );
    // Spawned and suspended through the API at once, so the CLI sees a live process whatever the model does.
    const client = await connectKernel((readConnectionFile(dir.path) as ConnectionInfo).url, (readConnectionFile(dir.path) as ConnectionInfo).token);
    cleanups.push(() => client.close());
    const { pid } = await client.call('proc.spawn', { agent: JSON.parse(readFileSync(endless, 'utf8')) as Record<string, unknown>, task: 'count' });
    await client.call('proc.suspend', { pid });
    const ps = await amk(['ps', ...dataDir]);
    expect(ps.stdout).toMatch(/PID\s+AGENT\s+STATE/);
    expect(ps.stdout).toMatch(/\n1\s+endless\s+suspended/);
    const renice = await amk(['renice', '1', '5', '--class', 'idle', ...dataDir]);
    expect(renice.stdout).toContain('class=idle nice=5');
    const top = await amk(['top', '--once', ...dataDir]);
    expect(top.stdout).toContain('model: stories260K.gguf on cpu');
    const kill = await amk(['kill', '1', ...dataDir]);
    expect(kill.stdout).toContain('1 endless exited (exit 137: killed)');
    const again = await amk(['kill', '1', ...dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('INVALID_STATE');
    const spawned = await amk(['spawn', 'storyteller', '--task', 'a fox', ...dataDir]);
    expect(spawned.stdout).toMatch(/^2 storyteller /);
    const waited = await amk(['wait', '2', ...dataDir]);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain('2 storyteller exited (exit 0: finished)');
    const reaped = await amk(['reap', ...dataDir]);
    expect(reaped.stdout.trim()).toBe('cleared 1 2');
    expect((await amk(['ps', '--all', ...dataDir])).stdout).not.toMatch(/\n[12]\s/);
    // Model changes go through the running kernel, which knows which model is in use.
    const imported = await amk(['models', 'import', testModelPath(), ...dataDir]);
    expect(imported.stdout.trim()).toBe(join(dir.path, 'models', 'stories260K.gguf'));
    const used = await amk(['models', 'use', 'stories260K.gguf', ...dataDir]);
    expect(used.stdout).toMatch(/^loaded stories260K\.gguf: cpu, 0\/\d+ layers on the GPU/);
    // The running kernel says which model is loaded.
    expect((await amk(['models', 'list', ...dataDir])).stdout).toMatch(/\nloaded\s+stories260K\.gguf\s+imported/);
    const refused = await amk(['models', 'delete', 'stories260K.gguf', ...dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is the model in use');
    server.kill('SIGTERM');
    expect(await closed).toBe(0);
    // Some fifteen CLI processes one after another: each is a Node start, slow on a loaded machine.
  }, 240_000);
});
