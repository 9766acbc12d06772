import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectConnectionFile, readConnectionFile, writeConnectionFile } from '../server/index.js';
import { packageRoot } from '../settings.js';
import { tempDir } from '../test-support/fixtures.js';
import { rawGet, serveKernel, stillAnswers, upgradeHeaders, type Served } from './front-door-fixture.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function served(options: Parameters<typeof serveKernel>[0] = {}): Promise<Served> {
  const kernel = await serveKernel(options);
  cleanups.push(() => kernel.dispose());
  return kernel;
}

const errorOf = (text: string): { code: string; message: string } => (JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } }).error;

describe('the HTTP front door of amk serve', () => {
  it('answers a malformed, foreign or oversized request target with 400/414, and keeps serving', async () => {
    const kernel = await served();
    // `GET /%` once threw inside decodeURIComponent and ended the process.
    for (const target of ['/%', '/%E0%A4%A', '/assets/%zz.js', '/%00', '/a%C0%AFb']) {
      const reply = await rawGet(kernel.port, target);
      expect(reply.status, target).toBe(400);
      expect(errorOf(reply.text)).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/percent-encoding|NUL/) });
    }
    expect((await rawGet(kernel.port, 'http://[/x')).status).toBe(400);
    const long = await rawGet(kernel.port, `/${'a'.repeat(5000)}`);
    expect(long.status).toBe(414);
    expect(errorOf(long.text).message).toContain('longer than 4096');
    // The WebSocket route goes through the same door.
    expect((await rawGet(kernel.port, '/api%', upgradeHeaders({ authorization: `Bearer ${kernel.server.token}` }))).status).toBe(400);
    expect((await rawGet(kernel.port, '/')).status).toBe(503); // no renderer built in this folder: the page says so
    await stillAnswers(kernel);
  });

  it('refuses a Host that is not this server on every route (DNS rebinding), before the token is looked at', async () => {
    const kernel = await served();
    const evil = `evil.example:${kernel.port}`;
    const bearer = { authorization: `Bearer ${kernel.server.token}` };
    for (const [target, headers] of [
      ['/', {}],
      ['/index.html', {}],
      ['/mcp', bearer],
      ['/models/upload?name=x.gguf', bearer],
      ['/api', upgradeHeaders(bearer)],
    ] as const) {
      const reply = await rawGet(kernel.port, target, { ...headers, host: evil });
      expect(reply.status, target).toBe(421);
      expect(reply.text, target).toContain('not Host \\"evil.example:');
    }
    // The same host on another port is another site too.
    expect((await rawGet(kernel.port, '/', { host: `127.0.0.1:${kernel.port + 1}` })).status).toBe(421);
    for (const host of [`127.0.0.1:${kernel.port}`, `localhost:${kernel.port}`, `[::1]:${kernel.port}`, `LOCALHOST:${kernel.port}`]) {
      expect((await rawGet(kernel.port, '/', { host })).status, host).toBe(503);
    }
    await stillAnswers(kernel);
  });

  it('cuts off a client that trickles its headers (slowloris), while others are served', async () => {
    const kernel = await served({ limits: { headersTimeoutMs: 1_000 } });
    const slow = connect(kernel.port, '127.0.0.1');
    slow.on('error', () => {});
    let received = '';
    slow.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
    slow.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${kernel.port}\r\n`);
    // The attacker's pace: one header line at a time, never the blank line that ends them.
    let n = 0;
    const trickle = setInterval(() => slow.writable && slow.write(`x-trickle-${n++}: 1\r\n`), 100);
    cleanups.push(() => clearInterval(trickle));
    await stillAnswers(kernel);
    expect((await rawGet(kernel.port, '/')).status).toBe(503);
    await closed;
    clearInterval(trickle);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    // Headers past the size limit are refused outright.
    expect((await rawGet(kernel.port, '/', { 'x-big': 'a'.repeat(20_000) })).status).toBe(431);
    await stillAnswers(kernel);
  });
});

describe('the token of amk serve', () => {
  it('is not printed where logs keep it: the plain URL and where the token is, with serve.json readable by the user alone', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const env: NodeJS.ProcessEnv = { ...process.env, AMK_THREADS: '1', AMK_GPU: 'cpu' };
    delete env.AMK_MODEL;
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot(), 'src-main', 'cli', 'main.ts'), 'serve', '--port', '0', '--data-dir', dir.path], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      if (line.startsWith('MCP ')) break;
    }
    const info = readConnectionFile(dir.path);
    expect(info).not.toBeNull();
    expect(lines.join('\n')).not.toContain(info!.token);
    expect(lines.join('\n')).toContain(`serving at ${info!.url}`);
    expect(lines.join('\n')).toContain(join(dir.path, 'serve.json'));
    expect(statSync(join(dir.path, 'serve.json')).mode & 0o777).toBe(0o600);
  });

  it('trusts no serve.json that is malformed or left by a process that is gone', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    writeConnectionFile(dir.path, { url: 'http://127.0.0.1:7420', token: 'abc', pid: gone.pid! });
    expect(readConnectionFile(dir.path)).toBeNull();
    expect(inspectConnectionFile(dir.path)).toMatchObject({ state: 'stale', pid: gone.pid });
    writeFileSync(join(dir.path, 'serve.json'), JSON.stringify({ url: 'file:///etc/passwd', token: 'abc', pid: process.pid }));
    expect(inspectConnectionFile(dir.path)).toMatchObject({ state: 'invalid', reason: expect.stringContaining('url') });
    writeFileSync(join(dir.path, 'serve.json'), '{"url":');
    expect(inspectConnectionFile(dir.path)).toMatchObject({ state: 'invalid', reason: 'it is not JSON' });
    writeConnectionFile(dir.path, { url: 'http://127.0.0.1:7420', token: 'abc', pid: process.pid });
    expect(readConnectionFile(dir.path)).toEqual({ url: 'http://127.0.0.1:7420', token: 'abc', pid: process.pid });
  });
});
