import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../../src-shared/index.js';
import { tempDir, testModelPath } from '../../test-support/fixtures.js';
import { downloadModel } from './model-downloader.js';
import { ModelManager } from './model-manager.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const BODY = readFileSync(testModelPath());
const SHA = createHash('sha256').update(BODY).digest('hex');
const ETAG = '"v2"';

/** A file server with Range support that can fail on purpose. */
async function server(behaviour: { cutAfter?: number; failFirst?: number; corrupt?: boolean; stallAfter?: number } = {}) {
  const requests: { range: string | undefined; status: number }[] = [];
  let failures = behaviour.failFirst ?? 0;
  let cut = behaviour.cutAfter;
  let stall = behaviour.stallAfter;
  const http: Server = createServer((request, response) => {
    if (failures > 0) {
      failures--;
      requests.push({ range: request.headers.range, status: 503 });
      response.writeHead(503).end('busy');
      return;
    }
    const body = behaviour.corrupt ? Buffer.from(BODY).fill(1, 100, 200) : BODY;
    // If-Range with another version's tag: the file changed, so it comes whole (RFC 9110, 13.1.5).
    const ifRange = request.headers['if-range'];
    const match = ifRange !== undefined && ifRange !== ETAG ? null : /bytes=(\d+)-/.exec(request.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const status = match ? 206 : 200;
    requests.push({ range: request.headers.range, status });
    response.writeHead(status, { etag: ETAG, 'content-length': String(body.length - start), ...(match ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (stall !== undefined) {
      // Send part of it, then nothing, with the connection left open: a dead link after sleep.
      response.write(body.subarray(start, start + stall));
      stall = undefined;
      return;
    }
    if (cut !== undefined) {
      // Send part of it, then drop the connection: an interrupted download.
      response.write(body.subarray(start, start + cut));
      cut = undefined;
      setTimeout(() => response.destroy(), 20);
      return;
    }
    response.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/model.gguf`, requests };
}

function target(): string {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  return join(dir.path, 'model.gguf');
}

describe('model download', () => {
  it('resumes an interrupted download with an HTTP Range request and verifies the checksum', async () => {
    const { url, requests } = await server({ cutAfter: 300_000 });
    const path = target();
    const progress: DownloadProgress[] = [];
    const result = await downloadModel({ id: 'm', url, target: path, expectedBytes: BODY.length, sha256: SHA, backoffMs: 10, onProgress: (p) => progress.push(p) });
    expect(result.sha256).toBe(SHA);
    expect(readFileSync(path).equals(BODY)).toBe(true);
    // The second request continues from what arrived before the cut (at most the 300000 bytes sent).
    expect(requests).toHaveLength(2);
    expect(requests[0]!.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(300_000);
    expect(requests[1]!.status).toBe(206);
    expect(progress.map((p) => p.state)).toEqual(expect.arrayContaining(['retrying', 'verifying', 'done']));
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('drops an attempt that stops receiving and resumes from where it stalled', async () => {
    const { url, requests } = await server({ stallAfter: 200_000 });
    const path = target();
    const progress: DownloadProgress[] = [];
    await downloadModel({ id: 'm', url, target: path, expectedBytes: BODY.length, sha256: SHA, stallTimeoutMs: 300, backoffMs: 10, onProgress: (p) => progress.push(p) });
    expect(readFileSync(path).equals(BODY)).toBe(true);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(progress.find((p) => p.state === 'retrying')?.error).toMatch(/stalled/);
  });

  it('continues a partial file left by an earlier run (an app restart)', async () => {
    const { url, requests } = await server();
    const path = target();
    writeFileSync(`${path}.partial`, BODY.subarray(0, 500_000));
    writeFileSync(`${path}.partial.json`, JSON.stringify({ url, expectedBytes: BODY.length, sha256: SHA }));
    const result = await downloadModel({ id: 'm', url, target: path, expectedBytes: BODY.length, sha256: SHA });
    expect(result.resumedFrom).toBe(500_000);
    expect(requests.map((r) => r.range)).toEqual(['bytes=500000-']);
    expect(readFileSync(path).equals(BODY)).toBe(true);
  });

  it('starts over when the file changed upstream since the partial began (If-Range)', async () => {
    const { url, requests } = await server();
    const path = target();
    writeFileSync(`${path}.partial`, Buffer.alloc(500_000, 7));
    writeFileSync(`${path}.partial.json`, JSON.stringify({ url, expectedBytes: BODY.length, sha256: SHA, validator: '"v1"' }));
    await downloadModel({ id: 'm', url, target: path, expectedBytes: BODY.length, sha256: SHA });
    expect(requests).toEqual([{ range: 'bytes=500000-', status: 200 }]);
    expect(readFileSync(path).equals(BODY)).toBe(true);
  });

  it('reads a torn partial record as no record: the download starts over instead of failing for good', async () => {
    const { url, requests } = await server();
    const path = target();
    writeFileSync(`${path}.partial`, BODY.subarray(0, 1000));
    writeFileSync(`${path}.partial.json`, '{"url": "htt');
    await downloadModel({ id: 'm', url, target: path, expectedBytes: BODY.length, sha256: SHA });
    expect(requests.map((r) => r.range)).toEqual([undefined]);
    expect(readFileSync(path).equals(BODY)).toBe(true);
  });

  it('retries server errors with backoff', async () => {
    const { url, requests } = await server({ failFirst: 2 });
    const path = target();
    await downloadModel({ id: 'm', url, target: path, expectedBytes: BODY.length, sha256: SHA, backoffMs: 10 });
    expect(requests.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('refuses a file whose checksum is wrong, and removes it', async () => {
    const { url } = await server({ corrupt: true });
    const path = target();
    await expect(downloadModel({ id: 'm', url, target: path, expectedBytes: BODY.length, sha256: SHA })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('sha256'),
    });
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('gives up with a clear error when the server keeps failing, keeping the partial to resume', async () => {
    const { url } = await server({ failFirst: 10 });
    await expect(downloadModel({ id: 'm', url, target: target(), sha256: SHA, retries: 2, backoffMs: 5 })).rejects.toMatchObject({
      message: expect.stringMatching(/failed after 3 attempts: HTTP 503/),
    });
  });
});

describe('model manager', () => {
  it('imports a local GGUF, refuses one that is not, lists and deletes', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const manager = new ModelManager(dir.path, join(process.cwd(), 'assets', 'models.json'));
    expect(manager.catalog.models.find((m) => m.id === manager.catalog.default)).toBeDefined();
    const imported = await manager.import(testModelPath());
    expect((await manager.installed()).map((m) => m.file)).toEqual(['stories260K.gguf']);
    const fake = join(dir.path, 'fake.gguf');
    writeFileSync(fake, 'not a model');
    await expect(manager.import(fake)).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    await expect(manager.delete('stories260K.gguf', imported)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(manager.delete('../../etc/passwd.gguf', null)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await manager.delete('stories260K.gguf', null);
    expect(await manager.installed()).toEqual([]);
  });

  it('ships a catalogue whose checksummed entries are pinned to a fixed revision, the default among them', () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const { catalog } = new ModelManager(dir.path, join(process.cwd(), 'assets', 'models.json'));
    const pinned = catalog.models.filter((model) => model.sha256 !== null);
    expect(pinned.map((model) => model.id)).toContain(catalog.default);
    for (const model of pinned) {
      // A checksum of a moving branch would break as soon as the file is re-uploaded.
      expect(model.url).toMatch(new RegExp(`^https://huggingface\\.co/[\\w.-]+/[\\w.-]+/resolve/[0-9a-f]{40}/${model.file.replaceAll('.', '\\.')}$`));
    }
  });
});

