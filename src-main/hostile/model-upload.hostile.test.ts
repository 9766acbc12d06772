import { readdirSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelConfig } from '../kernel/index.js';
import { startKernelServer, type KernelServer } from '../server/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { hostileGgufHeaders, smallValidGguf } from '../test-support/gguf-bytes.js';
import { expectNoUncaughtExceptions } from './no-uncaught.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// These attacks must be refused by the boundary itself, never by the last-resort handler.
expectNoUncaughtExceptions();

async function serve(overrides: Partial<KernelConfig> = {}): Promise<{ server: KernelServer; modelsDir: string }> {
  const data = tempDir();
  const renderer = tempDir();
  cleanups.push(data.dispose, renderer.dispose);
  const kernel = await bootTestKernel(data.path, { modelPath: null, ...overrides });
  cleanups.push(() => kernel.dispose());
  const server = await startKernelServer({ kernel, port: 0, rendererDir: renderer.path });
  cleanups.push(() => server.close());
  return { server, modelsDir: kernel.models.manager.directory };
}

const upload = (server: KernelServer, name: string, body: Buffer) =>
  fetch(`${server.url}/models/upload?name=${name}`, { method: 'PUT', headers: { authorization: `Bearer ${server.token}` }, body });

interface Refusal {
  status: number;
  error: { code: string; message: string };
}

async function refusalOf(response: IncomingMessage): Promise<Refusal> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return { status: response.statusCode ?? 0, ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: Refusal['error'] }) };
}

/**
 * Starts an upload by hand: the headers, then `body` (if any), then nothing more: the request is
 * never ended, so only a server that refuses before the end can answer.
 */
function startUpload(server: KernelServer, headers: Record<string, string>, body?: Buffer): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const put = request(`${server.url}/models/upload?name=big.gguf`, { method: 'PUT', headers: { authorization: `Bearer ${server.token}`, ...headers } });
    // The server closes the connection after its refusal: a write racing that close may fail here.
    put.on('error', (error) => reject(error));
    put.on('response', (response) => refusalOf(response).then(resolve, reject));
    if (body) put.write(body);
    else put.flushHeaders();
  });
}

describe('PUT /models/upload with hostile bodies', () => {
  it('refuses GGUF headers that lie about their counts, and installs the next good upload', async () => {
    const { server, modelsDir } = await serve();
    for (const lie of Object.values(hostileGgufHeaders())) {
      const refused = await upload(server, 'lying.gguf', lie);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as Refusal).error).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/lying\.gguf is damaged: its GGUF header /) });
    }
    // A valid header cut short, at a few places inside it.
    const whole = smallValidGguf();
    for (const length of [5, 17, 30, 60, 120, 200, 300]) {
      const refused = await upload(server, 'cut.gguf', whole.subarray(0, length));
      expect(((await refused.json()) as Refusal).error).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/cut\.gguf is (cut off|damaged)/) });
    }
    expect((await upload(server, 'good.gguf', smallValidGguf())).status).toBe(201);
    expect(readdirSync(modelsDir)).toEqual(['good.gguf']);
  });

  it('refuses a declared length over maxUploadBytes before reading the body', async () => {
    const { server, modelsDir } = await serve({ maxUploadBytes: 64 * 1024 });
    const refused = await startUpload(server, { 'content-length': String(2 ** 40) });
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining(`over the 65536-byte limit (${2 ** 40} bytes; the maxUploadBytes setting)`) });
    expect((await upload(server, 'good.gguf', smallValidGguf())).status).toBe(201);
    expect(readdirSync(modelsDir)).toEqual(['good.gguf']);
  });

  it('stops a body without a length at maxUploadBytes and removes what it wrote', async () => {
    const { server, modelsDir } = await serve({ maxUploadBytes: 64 * 1024 });
    // A valid model padded past the cap: without one, it would be installed.
    const body = Buffer.concat([smallValidGguf(), Buffer.alloc(256 * 1024)]);
    const refused = await startUpload(server, { 'transfer-encoding': 'chunked' }, body);
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('over the 65536-byte limit') });
    expect(readdirSync(modelsDir)).toEqual([]);
    expect((await upload(server, 'good.gguf', smallValidGguf())).status).toBe(201);
    expect(readdirSync(modelsDir)).toEqual(['good.gguf']);
  });
});
