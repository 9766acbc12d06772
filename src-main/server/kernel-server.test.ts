import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Kernel } from '../kernel/index.js';
import { bootTestKernel, tempDir, testModelPath } from '../test-support/fixtures.js';
import { connectKernel, startKernelServer, type KernelServer } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(): Promise<{ kernel: Kernel; server: KernelServer; rendererDir: string }> {
  const data = tempDir();
  const renderer = tempDir();
  cleanups.push(data.dispose, renderer.dispose);
  const kernel = await bootTestKernel(data.path);
  cleanups.push(() => kernel.dispose());
  const server = await startKernelServer({ kernel, port: 0, rendererDir: renderer.path });
  cleanups.push(() => server.close());
  return { kernel, server, rendererDir: renderer.path };
}

function rawSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

describe('amk serve', () => {
  it('refuses a client without the token, or with a wrong one', async () => {
    const { server } = await serve();
    const base = server.url.replace('http', 'ws');
    expect(await rawSocket(`${base}/api`)).toBe(401);
    expect(await rawSocket(`${base}/api`, { authorization: 'Bearer wrong' })).toBe(401);
    await expect(connectKernel(server.url, 'wrong')).rejects.toThrow(/HTTP 401/);
  });

  it('refuses a page from another origin even with the token', async () => {
    const { server } = await serve();
    const url = `${server.url.replace('http', 'ws')}/api`;
    const authorization = `Bearer ${server.token}`;
    expect(await rawSocket(url, { Origin: 'http://evil.example', authorization })).toBe(403);
    const own = await rawSocket(url, { Origin: server.url, authorization });
    expect(own).toBeInstanceOf(WebSocket);
    (own as WebSocket).close();
  });

  it('serves the kernel API and streams events', async () => {
    const { server } = await serve();
    const client = await connectKernel(server.url, server.token);
    cleanups.push(() => client.close());
    const info = await client.call('kernel.info', {});
    expect(info.model?.name).toBe('stories260K.gguf');
    expect((await client.call('gallery.list', {})).map((agent) => agent.id)).toContain('storyteller');
    const exited = new Promise<number>((resolve) =>
      client.subscribe((event) => event.type === 'proc.exited' && resolve(event.pid)),
    );
    const spawned = await client.call('proc.spawn', { agent: 'storyteller', task: 'a fox' });
    expect(await exited).toBe(spawned.pid);
    const done = await client.call('proc.wait', { pid: spawned.pid });
    expect(done.state).toBe('exited');
    expect((await client.call('proc.transcript', { pid: spawned.pid })).at(-1)).toMatchObject({ kind: 'answer' });
  });

  it('answers a malformed or invalid request with a coded error and keeps the connection', async () => {
    const { server } = await serve();
    const ws = (await rawSocket(`${server.url.replace('http', 'ws')}/api`, { authorization: `Bearer ${server.token}` })) as WebSocket;
    cleanups.push(() => ws.close());
    const replies: unknown[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(String(data))));
    ws.send('not json');
    ws.send(JSON.stringify({ id: 1, method: 'proc.kill', params: { pid: -3 } }));
    ws.send(JSON.stringify({ id: 2, method: 'proc.fly', params: {} }));
    ws.send(JSON.stringify({ id: 3, method: 'proc.list', params: {} }));
    await expect.poll(() => replies.length).toBe(4);
    expect(replies).toEqual([
      { kind: 'error', id: null, error: expect.objectContaining({ code: 'INVALID_REQUEST' }) },
      { kind: 'error', id: 1, error: expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringContaining('pid') }) },
      { kind: 'error', id: 2, error: expect.objectContaining({ code: 'UNKNOWN_METHOD' }) },
      { kind: 'result', id: 3, result: [] },
    ]);
  });

  it('serves the renderer with a CSP and nothing outside its folder', async () => {
    const { server, rendererDir } = await serve();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${rendererDir}/index.html`, '<!doctype html><title>amk</title>');
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<title>amk</title>');
    expect((await fetch(`${server.url}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });
});

describe('model upload (a GGUF dropped on the browser UI)', () => {
  const upload = (server: KernelServer, name: string, body: Buffer, headers: Record<string, string> = { authorization: `Bearer ${server.token}` }) =>
    fetch(`${server.url}/models/upload?name=${encodeURIComponent(name)}`, { method: 'PUT', headers, body });

  it('installs a whole GGUF sent with the token, and refuses the rest with a reason', async () => {
    const { kernel, server } = await serve();
    const model = readFileSync(testModelPath());
    expect((await upload(server, 'dropped.gguf', model, {})).status).toBe(401);
    expect((await upload(server, 'dropped.gguf', model, { authorization: `Bearer ${server.token}`, origin: 'http://evil.example' })).status).toBe(403);

    const cut = await upload(server, 'cut.gguf', model.subarray(0, 300_000));
    expect(cut.status).toBe(400);
    expect(((await cut.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/cut\.gguf is (cut off|damaged)/) });
    expect((await upload(server, 'notes.txt', model)).status).toBe(400);

    const ok = await upload(server, 'dropped.gguf', model);
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { model: { file: string; sizeBytes: number } }).model).toMatchObject({ file: 'dropped.gguf', sizeBytes: model.length });
    // A name is only a name: folders in it are dropped, odd characters become dashes.
    const odd = await upload(server, '../../escape (1).gguf', model);
    expect(((await odd.json()) as { model: { path: string } }).model.path).toBe(join(kernel.models.manager.directory, 'escape-1-.gguf'));
    // Only whole uploads are there: nothing half-written is left beside them.
    expect(readdirSync(kernel.models.manager.directory).sort()).toEqual(['dropped.gguf', 'escape-1-.gguf']);
    expect((await upload(server, 'dropped.gguf', model)).status).toBe(400);
  });
});
