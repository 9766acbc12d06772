import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../kernel/index.js';
import { bootTestKernel, callToolAsAgent, tempDir } from '../test-support/fixtures.js';
import { startHttpFixture } from '../test-support/http-fixture.js';
import { packageRoot } from '../settings.js';

const TOOLS = join(packageRoot(), 'dist', 'wasm-tools', 'tools');
const FIXTURES = join(packageRoot(), 'dist', 'wasm-tools', 'fixtures');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const dir = tempDir('amk-hostile-');
  cleanups.push(dir.dispose);
  return dir.path;
}

async function boot(dataDir = folder()): Promise<Kernel> {
  const kernel = await bootTestKernel(dataDir, { toolDirs: [TOOLS, FIXTURES], grantTimeoutMs: 5_000 });
  cleanups.push(() => kernel.dispose());
  return kernel;
}

const call = callToolAsAgent;

/** A granted folder holding notes.txt, and a folder outside every grant holding a secret. */
async function grantedFolder(kernel: Kernel, modes: ('read' | 'write')[] = ['read', 'write']): Promise<{ inside: string; outside: string }> {
  const inside = folder();
  const outside = folder();
  writeFileSync(join(inside, 'notes.txt'), 'inside notes');
  writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE SECRET');
  for (const mode of modes) await kernel.sandbox.grant('tester', '*', `fs:${mode}:${inside}`, 'session');
  return { inside, outside };
}

async function stillServes(kernel: Kernel, inside: string): Promise<void> {
  expect(await call(kernel, 'file_read', { path: join(inside, 'notes.txt') })).toMatchObject({ content: 'inside notes' });
}

describe('file capabilities hold against hostile paths', () => {
  it('a write through a dangling symlink inside a granted folder is refused, and creates nothing outside', async () => {
    const kernel = await boot();
    const { inside, outside } = await grantedFolder(kernel);
    symlinkSync(join(outside, 'planted.txt'), join(inside, 'link.txt'));
    await expect(call(kernel, 'file_write', { path: join(inside, 'link.txt'), content: 'pwned' })).rejects.toMatchObject({ message: expect.stringMatching(/dangling symbolic link/) });
    await expect(call(kernel, 'file_write', { path: join(inside, 'link.txt'), content: 'pwned', append: true })).rejects.toMatchObject({ message: expect.stringMatching(/dangling symbolic link/) });
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
    expect(await call(kernel, 'file_write', { path: join(inside, 'fine.txt'), content: 'ok' })).toEqual({ bytes: 2 });
    await stillServes(kernel, inside);
  });

  it('a folder swapped for a symlink while calls run never yields what lies outside the grant', async () => {
    const kernel = await boot();
    const { inside, outside } = await grantedFolder(kernel, ['read']);
    const sub = join(inside, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'sub.txt'), 'inside sub');
    const running = join(folder(), 'running');
    writeFileSync(running, '');
    // Another process swaps the granted subfolder for a symlink out of the grant, and back, in a tight loop.
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); const [sub, outside, running] = process.argv.slice(1); let swaps = 0;
         while (fs.existsSync(running)) {
           fs.renameSync(sub, sub + '.real'); fs.symlinkSync(outside, sub);
           if (swaps++ === 0) process.stdout.write('swapping\\n');
           fs.unlinkSync(sub); fs.renameSync(sub + '.real', sub);
         }
         process.stdout.write('swaps ' + swaps + '\\n');`,
        sub,
        outside,
        running,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    swapper.on('error', () => {});
    let said = '';
    const exited = new Promise<void>((resolve) => swapper.on('exit', () => resolve()));
    await new Promise<void>((resolve) => {
      swapper.on('exit', () => resolve());
      swapper.stdout.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (said.includes('swapping')) resolve();
      });
    });
    expect(said).toContain('swapping');
    // What the calls returned; a refusal is fine, a value showing what lies outside is the escape.
    const seen: string[] = [];
    for (let round = 0; round < 200; round++) {
      const outcomes = await Promise.allSettled([
        // sub/secret.txt exists only outside: through the symlink.
        call(kernel, 'file_read', { path: join(sub, 'secret.txt') }),
        call(kernel, 'file_list', { path: sub }),
        call(kernel, 'file_search', { path: inside, query: 'secret' }),
      ]);
      for (const outcome of outcomes) if (outcome.status === 'fulfilled') seen.push(JSON.stringify(outcome.value));
    }
    rmSync(running);
    await exited;
    expect(said).toMatch(/swaps [1-9]/);
    expect(seen.filter((text) => text.includes('OUTSIDE SECRET') || text.includes('secret.txt'))).toEqual([]);
    expect(await call(kernel, 'file_read', { path: join(sub, 'sub.txt') })).toMatchObject({ content: 'inside sub' });
  });

  it('a path of thousands of components is refused at once, by the host function and at grant time', async () => {
    const kernel = await boot();
    const { inside } = await grantedFolder(kernel, ['read']);
    const deep = inside + '/a'.repeat(8000);
    // Refused by the host call's field limit or by the path check, before any file system call.
    await expect(call(kernel, 'fixture_rawfs', { path: inside, request: { op: 'read', path: deep } })).rejects.toMatchObject({
      message: expect.stringMatching(/limited to 4096 bytes|over the limit of 4096/),
    });
    // 1400 characters but 4200 bytes: the limit is on bytes, as the kernel's path limit is.
    await expect(call(kernel, 'fixture_rawfs', { path: inside, request: { op: 'read', path: `${inside}/${'€'.repeat(1400)}` } })).rejects.toMatchObject({
      message: expect.stringMatching(/limited to 4096 bytes/),
    });
    await expect(call(kernel, 'fixture_rawfs', { path: inside, request: { op: 'list', path: inside + '/a'.repeat(100) } })).rejects.toMatchObject({
      message: expect.stringMatching(/limited to 64 components/),
    });
    await expect(kernel.sandbox.grant('tester', '*', `fs:read:${deep}`, 'session')).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/limited to 4096 bytes/) });
    await expect(call(kernel, 'fixture_rawfs', { path: inside, request: { op: 'read', path: 42 } })).rejects.toMatchObject({ message: expect.stringMatching(/path must be a (non-empty )?string/) });
    await stillServes(kernel, inside);
  });

  it('a file of several GiB is read only up to the cap', async () => {
    const kernel = await boot();
    const { inside } = await grantedFolder(kernel, ['read']);
    const big = join(inside, 'big.txt');
    writeFileSync(big, 'a'.repeat(300 * 1024));
    // Sparse: 3 GiB on paper, a few pages on disk. Reading it whole is what must not happen.
    truncateSync(big, 3 * 1024 ** 3);
    const read = (await call(kernel, 'file_read', { path: big })) as { content: string; bytes: number; truncated: boolean };
    expect(read).toMatchObject({ bytes: 3 * 1024 ** 3, truncated: true });
    expect(read.content).toBe('a'.repeat(256 * 1024));
    await stillServes(kernel, inside);
  });

  it('numeric and typed arguments a plugin sends are validated, never coerced into a disabled cap', async () => {
    const kernel = await boot();
    const server = await startHttpFixture();
    cleanups.push(server.close);
    await kernel.sandbox.grant('tester', '*', `net:127.0.0.1:${server.port}`, 'session');
    const raw = (request: Record<string, unknown>) => call(kernel, 'fixture_rawhttp', { url: server.url, request: { method: 'GET', url: `${server.url}/big`, ...request } });
    for (const maxBytes of ['x', '10', -1, 0, 1.5, 1e300, [], {}] as unknown[]) {
      await expect(raw({ maxBytes })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/maxBytes must be a whole number of bytes/) });
    }
    await expect(raw({ method: 'DELETE' })).rejects.toMatchObject({ message: expect.stringMatching(/method must be GET or POST/) });
    await expect(raw({ url: 7 })).rejects.toMatchObject({ message: expect.stringMatching(/url must be a string/) });
    expect(await raw({ maxBytes: 10 })).toMatchObject({ body: 'x'.repeat(10), truncated: true });
  });
});

describe('grants cannot be forged, and the data directory is never grantable', () => {
  it('a forged grants.json is not honoured after a reboot, and a warning says so', async () => {
    const dataDir = folder();
    const first = await boot(dataDir);
    const { inside, outside } = await grantedFolder(first, []);
    await first.sandbox.grant('tester', 'file_read', `fs:read:${inside}`, 'always');
    await first.dispose();
    const path = join(dataDir, 'grants.json');
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { grants: { grant: Record<string, unknown>; mac: string }[] };
    const real = saved.grants[0]!;
    // A forged grant with a made-up MAC, and the real one edited to reach further.
    saved.grants.push({ grant: { ...real.grant, id: 'g-forged', tool: '*', capability: `fs:read:${outside}` }, mac: 'ab'.repeat(32) });
    saved.grants.push({ grant: { ...real.grant, id: 'g-edited', capability: 'fs:read:/' }, mac: real.mac });
    writeFileSync(path, JSON.stringify(saved));
    const second = await boot(dataDir);
    const warnings = second.info().warnings;
    expect(warnings).toContainEqual(expect.stringMatching(/grant g-forged .* failed its integrity check .* dropped/));
    expect(warnings).toContainEqual(expect.stringMatching(/grant g-edited .* failed its integrity check .* dropped/));
    expect(warnings).toContainEqual(expect.stringMatching(/grants file as found is kept as .*grants\.json\.rejected-/));
    expect(second.sandbox.grants.list().map((grant) => grant.id)).toEqual([real.grant.id]);
    await expect(call(second, 'file_read', { path: join(outside, 'secret.txt') })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
    await stillServes(second, inside);
  });

  it('an unsigned grants file (the old format, or a forgery of it) grants nothing', async () => {
    const dataDir = folder();
    const outside = folder();
    writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE SECRET');
    const grant = { id: 'g-plain', agentId: 'tester', tool: '*', capability: `fs:read:${outside}`, scope: 'always', grantedAt: 1, uses: 0, lastUsedAt: null };
    writeFileSync(join(dataDir, 'grants.json'), JSON.stringify([grant]));
    const kernel = await boot(dataDir);
    expect(kernel.info().warnings).toContainEqual(expect.stringMatching(/grants file .* is unsigned .* 1 grants were dropped/));
    expect(kernel.sandbox.grants.list()).toEqual([]);
    await expect(call(kernel, 'file_read', { path: join(outside, 'secret.txt') })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
    expect(await call(kernel, 'calculator', { expression: '1+1' })).toEqual({ value: 2 });
  });

  it('the data directory is refused at grant time and at use, whatever the spelling or symlink', async () => {
    const home = folder();
    const dataDir = join(home, 'data');
    mkdirSync(dataDir);
    const kernel = await boot(dataDir);
    const work = join(home, 'work');
    mkdirSync(work);
    symlinkSync(dataDir, join(work, 'shortcut'));
    for (const spelling of [dataDir, join(dataDir, 'grants.json'), `${work}/../data/keys`, join(work, 'shortcut'), join(work, 'shortcut', 'grants.json')]) {
      await expect(kernel.sandbox.grant('tester', '*', `fs:write:${spelling}`, 'always')).rejects.toMatchObject({ code: 'CAPABILITY_DENIED', message: expect.stringMatching(/never grantable/) });
    }
    // A grant of a folder that holds the data directory reaches everything in it but the data directory.
    await kernel.sandbox.grant('tester', '*', `fs:write:${home}`, 'session');
    await kernel.sandbox.grant('tester', '*', `fs:read:${home}`, 'session');
    for (const path of [join(dataDir, 'grants.json'), join(work, 'shortcut', 'grants.json'), `${work}/../data/forged.json`]) {
      await expect(call(kernel, 'file_write', { path, content: '[]' })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED', message: expect.stringMatching(/never grantable/) });
    }
    // A plugin granted the parent folder reaching into the data directory by itself is refused by the host function.
    await expect(call(kernel, 'fixture_rawfs', { path: home, request: { op: 'read', path: join(dataDir, 'keys', 'kernel.key') } })).rejects.toMatchObject({
      message: expect.stringMatching(/inside the kernel's data directory/),
    });
    await expect(call(kernel, 'fixture_rawfs', { path: home, request: { op: 'list', path: join(work, 'shortcut') } })).rejects.toMatchObject({
      message: expect.stringMatching(/inside the kernel's data directory/),
    });
    const found = (await call(kernel, 'file_search', { path: home, query: 'grant' })) as { matches: { path: string }[] };
    expect(found.matches.filter((match) => match.path.includes('/data/'))).toEqual([]);
    expect(await call(kernel, 'file_write', { path: join(work, 'fine.txt'), content: 'ok' })).toEqual({ bytes: 2 });
  });
});

describe('network grants are checked against the address actually reached', () => {
  it('a granted name that resolves to loopback is refused unless the grant and URL name the address', async () => {
    const kernel = await boot();
    const server = await startHttpFixture();
    cleanups.push(server.close);
    await kernel.sandbox.grant('tester', '*', `net:localhost:${server.port}`, 'session');
    await expect(call(kernel, 'http_get', { url: `http://localhost:${server.port}/through-a-name` })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringMatching(/localhost resolves to \S+, a loopback address/),
    });
    expect(server.requests).toEqual([]);
    await kernel.sandbox.grant('tester', '*', `net:127.0.0.1:${server.port}`, 'session');
    expect(await call(kernel, 'http_get', { url: `${server.url}/by-address` })).toMatchObject({ status: 200, body: expect.stringContaining('/by-address') });
    expect(server.requests).toEqual(['GET /by-address']);
  });

  it('an IPv6 grant is parsed, canonicalized and reaches [::1]', async (context) => {
    const server = createServer((request, response) => response.end(`v6 ${request.url}`));
    server.on('error', () => {});
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    if (!bound) context.skip('this machine has no IPv6 loopback: ::1 cannot be bound');
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const kernel = await boot();
    const grant = await kernel.sandbox.grant('tester', '*', `net:[0:0::1]:${port}`, 'session');
    expect(grant.capability).toBe(`net:[::1]:${port}`);
    expect(await call(kernel, 'http_get', { url: `http://[0::1]:${port}/six` })).toMatchObject({ status: 200, body: 'v6 /six' });
    await expect(call(kernel, 'http_get', { url: `http://[::2]:${port}/` })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
    expect(await call(kernel, 'http_get', { url: `http://[::1]:${port}/again` })).toMatchObject({ body: 'v6 /again' });
  });
});
