import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CatalogModel, KvType, ModelCatalog } from '../../src-shared/index.js';
import type { Kernel } from '../kernel/index.js';
import { bootTestKernel, tempDir } from './fixtures.js';

export interface CatalogFixtureModel {
  id: string;
  /** The real GGUF the server sends. */
  source: string;
  file?: string;
  /**
   * The sha256 the catalogue claims: a wrong one makes the download fail its check; none leaves
   * the entry unverified, with a size estimate that is a little off (as published estimates are).
   */
  sha256?: 'right' | 'wrong' | 'none';
}

export interface CatalogFixture {
  /** The catalogue file to hand the kernel (KernelConfig.catalogPath, AMK_CATALOG). */
  catalogPath: string;
  catalog: ModelCatalog;
  /** "GET /id range", in arrival order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A loopback model host and a catalogue pointing at it: real GGUF bytes with HTTP Range support,
 * sent in small paced chunks (bytesPerSecond) so a download is slow enough to watch and cancel.
 */
export async function startCatalogFixture(directory: string, models: CatalogFixtureModel[], options: { bytesPerSecond?: number } = {}): Promise<CatalogFixture> {
  const bodies = new Map(models.map((model) => [model.id, readFileSync(model.source)]));
  const requests: string[] = [];
  const chunk = 16 * 1024;
  const pause = options.bytesPerSecond ? (1000 * chunk) / options.bytesPerSecond : 0;
  const server: Server = createServer((request, response) => {
    const id = (request.url ?? '').slice(1);
    const body = bodies.get(id);
    requests.push(`${request.method} /${id} ${request.headers.range ?? ''}`.trim());
    if (!body) return void response.writeHead(404).end('no such model');
    const match = /bytes=(\d+)-/.exec(request.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    if (start >= body.length) return void response.writeHead(416).end();
    response.writeHead(match ? 206 : 200, {
      'content-length': String(body.length - start),
      ...(match ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    let offset = start;
    const send = (): void => {
      if (response.destroyed) return;
      if (offset >= body.length) return void response.end();
      const next = body.subarray(offset, offset + chunk);
      offset += next.length;
      response.write(next);
      if (pause > 0) setTimeout(send, pause);
      else setImmediate(send);
    };
    send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const entries: CatalogModel[] = models.map((model) => {
    const body = bodies.get(model.id)!;
    const digest = createHash('sha256').update(body).digest('hex');
    return {
      id: model.id,
      name: model.id,
      role: 'chat',
      file: model.file ?? `${model.id}.gguf`,
      url: `${base}/${model.id}`,
      sizeBytes: model.sha256 === 'none' ? body.length + 96 : body.length,
      sha256: model.sha256 === 'none' ? null : model.sha256 === 'wrong' ? digest.replace(/^./, (c) => (c === '0' ? '1' : '0')) : digest,
      quantization: 'F32',
      license: 'MIT',
      vramGiB: 0.01,
      notes: 'served by the test fixture',
    };
  });
  const catalog: ModelCatalog = { default: models[0]?.id ?? '', models: entries };
  const catalogPath = join(directory, 'models.json');
  writeFileSync(catalogPath, JSON.stringify(catalog, null, 2));
  return {
    catalogPath,
    catalog,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A kernel on a fresh data folder and a catalogue served from loopback; dispose undoes both. */
export async function bootKernelWithCatalog(
  models: CatalogFixtureModel[],
  options: { bytesPerSecond?: number; modelPath?: string | null; kvType?: KvType } = {},
): Promise<{ kernel: Kernel; fixture: CatalogFixture; dataDir: string; dispose: () => Promise<void> }> {
  const data = tempDir();
  const fixture = await startCatalogFixture(data.path, models, options);
  const dataDir = join(data.path, 'kernel');
  try {
    const kernel = await bootTestKernel(dataDir, { modelPath: options.modelPath ?? null, catalogPath: fixture.catalogPath, ...(options.kvType ? { kvType: options.kvType } : {}) });
    return {
      kernel,
      fixture,
      dataDir,
      async dispose() {
        await kernel.dispose();
        await fixture.close();
        data.dispose();
      },
    };
  } catch (error) {
    await fixture.close();
    data.dispose();
    throw error;
  }
}
