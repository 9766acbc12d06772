import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { McpServerConfigInput, McpServerStatus } from '../../src-shared/index.js';
import { handleKernelRequest } from '../kernel/index.js';
import { probeOsSandbox } from '../kernel/mcp/os-sandbox.js';
import { packageRoot } from '../settings.js';
import { bootTestKernel, callToolAsAgent, tempDir } from '../test-support/fixtures.js';

/**
 * A native MCP server runs with the user's rights. Where bubblewrap works (the boot probe says
 * so), a hostile server cannot read the user's home folder or the kernel's data folder, and
 * cannot reach the network, not even loopback, unless the user allowed network when registering
 * it. Where bubblewrap does not work these tests are skipped, and the fallback (the server runs,
 * with a warning) is covered in kernel/mcp/os-sandbox.test.ts.
 */
const PROBE = join(packageRoot(), 'src-main', 'test-support', 'mcp-probe-server.ts');
const sandbox = await probeOsSandbox(undefined);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// The user's home, with a secret in it, outside anything the server is given; HOME is the kernel's.
const root = tempDir('amk-bwrap-');
const home = join(root.path, 'home');
const shared = join(root.path, 'shared');
const secret = join(home, '.ssh', 'id_ed25519');
const savedHome = process.env.HOME;
let listener: Server;
let port = 0;
let connections = 0;
beforeAll(async () => {
  mkdirSync(join(home, '.ssh'), { recursive: true });
  mkdirSync(shared);
  writeFileSync(secret, 'PRIVATE KEY MARKER');
  process.env.HOME = home;
  listener = createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    socket.end('hello from loopback\n');
  });
  listener.on('error', () => {});
  await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
  port = (listener.address() as { port: number }).port;
});
afterAll(async () => {
  if (savedHome === undefined) delete process.env.HOME;
  else process.env.HOME = savedHome;
  await new Promise<void>((done) => listener.close(() => done()));
  root.dispose();
});

async function kernelWith(name: string, transport: Partial<Extract<McpServerConfigInput['transport'], { kind: 'stdio' }>> = {}) {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const kernel = await bootTestKernel(dir.path);
  cleanups.push(() => kernel.dispose());
  const config: McpServerConfigInput = {
    name,
    transport: { kind: 'stdio', command: process.execPath, args: ['--import', 'tsx', PROBE], env: { PROBE_TOKEN: 'k' }, cwd: packageRoot(), ...transport },
  };
  const status = (await handleKernelRequest(kernel, 'mcp.servers.add', { ...config, approved: true })) as McpServerStatus;
  for (const tool of ['read_file', 'write_file', 'connect', 'env']) await kernel.sandbox.grant('tester', '*', `mcp:${name}/${tool}`, 'session');
  return { kernel, status, dataDir: dir.path };
}

const call = callToolAsAgent;

describe.runIf(sandbox.kind === 'bubblewrap')('a native MCP server under bubblewrap', () => {
  it('cannot read the home folder or the data folder, nor reach a loopback port; the kernel keeps serving', async () => {
    const { kernel, status, dataDir } = await kernelWith('probe');
    expect(status).toMatchObject({ health: 'healthy', sandbox: 'bubblewrap', network: false, sandboxWarning: null });

    await expect(call(kernel, 'mcp__probe__read_file', { path: secret })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('ENOENT') });
    const registry = join(dataDir, 'mcp-servers.json');
    expect(readFileSync(registry, 'utf8')).toContain('PROBE_TOKEN');
    await expect(call(kernel, 'mcp__probe__read_file', { path: registry })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('ENOENT') });
    await expect(call(kernel, 'mcp__probe__connect', { port })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/ECONNREFUSED|ENETUNREACH/) });
    expect(connections).toBe(0);
    // Only what was configured, and PATH, LANG, HOME, reach it: not the user's name or shell.
    const names = ((await call(kernel, 'mcp__probe__env', {})) as { text: string }).text.split(',');
    expect(names).toContain('PROBE_TOKEN');
    expect(names).not.toContain('USER');
    expect(names).not.toContain('SHELL');

    // The server itself works: it reads its own folder (read-only) and answers.
    expect(await call(kernel, 'mcp__probe__read_file', { path: join(packageRoot(), 'package.json') })).toMatchObject({ text: expect.stringContaining('agentic-microkernel') });
    cleanups.push(() => rmSync(join(packageRoot(), 'pwned.txt'), { force: true }));
    await expect(call(kernel, 'mcp__probe__write_file', { path: join(packageRoot(), 'pwned.txt'), text: 'x' })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('EROFS') });
    expect(existsSync(join(packageRoot(), 'pwned.txt'))).toBe(false);
    expect(await call(kernel, 'calculator', { expression: '2+3' })).toEqual({ value: 5 });
  });

  it('with network allowed it reaches the loopback server, and still sees no home', async () => {
    const { kernel, status } = await kernelWith('probe-net', { network: true });
    expect(status).toMatchObject({ health: 'healthy', sandbox: 'bubblewrap', network: true });
    expect(await call(kernel, 'mcp__probe_net__connect', { port })).toEqual({ text: 'connected: hello from loopback' });
    await expect(call(kernel, 'mcp__probe_net__read_file', { path: secret })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('ENOENT') });
  });

  it('an allowed folder that contains the home folder still does not show it', async () => {
    const { kernel } = await kernelWith('probe-dir', { folders: [root.path] });
    expect(await call(kernel, 'mcp__probe_dir__write_file', { path: join(shared, 'out.txt'), text: 'made inside' })).toEqual({ text: `wrote ${join(shared, 'out.txt')}` });
    expect(readFileSync(join(shared, 'out.txt'), 'utf8')).toBe('made inside');
    await expect(call(kernel, 'mcp__probe_dir__read_file', { path: secret })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('ENOENT') });
    expect(await call(kernel, 'calculator', { expression: '1+1' })).toEqual({ value: 2 });
  });
});

describe('the registration question', () => {
  it('says the server runs outside the Wasm sandbox, with your rights, and how it is confined', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const kernel = await bootTestKernel(dir.path, { grantTimeoutMs: 20_000 });
    cleanups.push(() => kernel.dispose());
    cleanups.push(kernel.sandbox.broker.attachApprover());
    const asked = handleKernelRequest(kernel, 'mcp.servers.add', { name: 'asked', transport: { kind: 'stdio', command: process.execPath, args: ['--import', 'tsx', PROBE], cwd: packageRoot() } });
    await expect.poll(() => kernel.sandbox.broker.list().length).toBe(1);
    const [request] = kernel.sandbox.broker.list();
    expect(request!.summary).toContain('outside the Wasm sandbox, with your rights');
    expect(request!.summary).toContain(sandbox.kind === 'bubblewrap' ? 'confined by bubblewrap: no home folder, no network' : 'NOT confined');
    kernel.sandbox.decide(request!.id, 'deny');
    await expect(asked).rejects.toMatchObject({ code: 'CAPABILITY_DENIED', message: expect.stringContaining('outside the Wasm sandbox, with your rights') });
    expect(kernel.mcp.list()).toEqual([]);
    expect(await call(kernel, 'calculator', { expression: '2+2' })).toEqual({ value: 4 });
  });

  it('refuses an allowed folder that is the whole root or a relative path, before asking anyone', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const kernel = await bootTestKernel(dir.path);
    cleanups.push(() => kernel.dispose());
    for (const folder of ['/', 'relative/dir']) {
      await expect(
        handleKernelRequest(kernel, 'mcp.servers.add', { name: 'wide', transport: { kind: 'stdio', command: process.execPath, args: [PROBE], folders: [folder] }, approved: true }),
      ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('absolute paths below the root') });
    }
    expect(kernel.mcp.list()).toEqual([]);
    expect(await call(kernel, 'calculator', { expression: '3+3' })).toEqual({ value: 6 });
  });
});
