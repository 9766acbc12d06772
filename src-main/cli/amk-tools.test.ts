import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../settings.js';
import { tempDir, testModelPath } from '../test-support/fixtures.js';
import { GO_PACKAGES, goPackage } from '../test-support/go-tool-packages.js';
import { builtToolPackage, writeToolPackage } from '../test-support/tool-packages.js';

const MAIN = join(packageRoot(), 'src-main', 'cli', 'main.ts');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function amk(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // stdin is not a terminal here: without --yes the CLI refuses rather than waiting for an answer.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, AMK_THREADS: '1', AMK_GPU: 'cpu' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `amk serve` on a fresh data directory, until it says it is serving. */
async function serve(): Promise<string> {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0', '--data-dir', dir.path, '--model', testModelPath()], {
    env: { ...process.env, AMK_THREADS: '1', AMK_GPU: 'cpu' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const closed = new Promise<number | null>((resolve) => server.once('exit', resolve));
  cleanups.push(async () => {
    server.kill('SIGTERM');
    await closed;
  });
  for await (const line of createInterface({ input: server.stdout! })) if (line.includes('serving at')) break;
  return dir.path;
}

/**
 * Each test drives the real CLI in child processes (a fresh Node with tsx per command: 2-7 s each
 * on a loaded 2-core machine), so a test's run time is bounded work, not a measure; the limit is a
 * hang guard only.
 */
const CLI_LIMIT_MS = 300_000;

describe('amk tools', { timeout: CLI_LIMIT_MS }, () => {
  it('installs a package folder through a running amk serve, signs, trusts, lists and removes', async () => {
    const dir = { path: await serve() };
    const dataDir = ['--data-dir', dir.path];
    const pkg = writeToolPackage(join(dir.path, 'pkg'), builtToolPackage('calculator', 'calc_cli'));

    const refused = await amk(['tools', 'install', pkg, ...dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('tool:           calc_cli');
    expect(refused.stdout).toContain('publisher:      not signed');
    expect(refused.stderr).toContain('--allow-unsigned');
    const installed = await amk(['tools', 'install', pkg, '--allow-unsigned', '--yes', ...dataDir]);
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain('installed calc_cli (unsigned)');

    // A publisher's key pair, a signed package, the key trusted: it installs without --allow-unsigned.
    const keyBase = join(dir.path, 'acme');
    expect((await amk(['tools', 'keygen', keyBase])).code).toBe(0);
    expect(statSync(`${keyBase}.key`).mode & 0o777).toBe(0o600);
    const signedPkg = writeToolPackage(join(dir.path, 'signed'), builtToolPackage('text_stats', 'stats_signed'));
    expect((await amk(['tools', 'sign', signedPkg, '--key', `${keyBase}.key`, '--publisher', 'Acme'])).code).toBe(0);
    const trusted = await amk(['tools', 'trust', `${keyBase}.pub`, '--publisher', 'Acme Tools', ...dataDir]);
    expect(trusted.stdout).toMatch(/^trusted Acme Tools's key [0-9a-f]{16}/);
    const signed = await amk(['tools', 'install', signedPkg, '--yes', ...dataDir]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain('signed by Acme Tools (trusted key');

    const list = await amk(['tools', 'list', ...dataDir]);
    expect(list.stdout).toMatch(/calc_cli\s+installed\s+unsigned/);
    expect(list.stdout).toMatch(/stats_signed\s+installed\s+trusted\s+Acme Tools/);
    expect(list.stdout).toMatch(/calculator\s+builtin/);
    const removed = await amk(['tools', 'remove', 'calc_cli', ...dataDir]);
    expect(removed.stdout.trim()).toBe('removed calc_cli');
    const builtin = await amk(['tools', 'remove', 'calculator', ...dataDir]);
    expect(builtin.code).toBe(1);
    expect(builtin.stderr).toContain('built-ins cannot be removed');
    expect((await amk(['tools', 'list', ...dataDir])).stdout).not.toContain('calc_cli');
  });

  it('installs the Go template package unsigned, then signed by a trusted key; lists and removes it', async () => {
    const dataDir = ['--data-dir', await serve()];
    const work = tempDir();
    cleanups.push(work.dispose);
    const { bytes } = goPackage(join(GO_PACKAGES, 'word_freq'));
    const files = { toolJson: readFileSync(join(GO_PACKAGES, 'word_freq', 'tool.json')), wasm: Buffer.from(bytes) };
    const pkg = writeToolPackage(join(work.path, 'word_freq'), files);

    const unsigned = await amk(['tools', 'install', pkg, '--allow-unsigned', '--yes', ...dataDir]);
    expect(unsigned.stderr).toBe('');
    expect(unsigned.stdout).toContain('tool:           word_freq');
    expect(unsigned.stdout).toContain('installed word_freq (unsigned)');
    expect((await amk(['tools', 'list', ...dataDir])).stdout).toMatch(/word_freq\s+installed\s+unsigned/);
    expect((await amk(['tools', 'remove', 'word_freq', ...dataDir])).stdout.trim()).toBe('removed word_freq');

    const keyBase = join(work.path, 'gopher');
    expect((await amk(['tools', 'keygen', keyBase])).code).toBe(0);
    expect((await amk(['tools', 'sign', pkg, '--key', `${keyBase}.key`, '--publisher', 'Gophers'])).code).toBe(0);
    expect((await amk(['tools', 'trust', `${keyBase}.pub`, '--publisher', 'Gophers', ...dataDir])).code).toBe(0);
    const signed = await amk(['tools', 'install', pkg, '--yes', ...dataDir]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain('signed by Gophers (trusted key');
    expect((await amk(['tools', 'list', ...dataDir])).stdout).toMatch(/word_freq\s+installed\s+trusted\s+Gophers/);
    expect((await amk(['tools', 'remove', 'word_freq', ...dataDir])).stdout.trim()).toBe('removed word_freq');
    expect((await amk(['tools', 'list', ...dataDir])).stdout).not.toContain('word_freq');
  });
});
