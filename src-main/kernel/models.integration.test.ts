import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../src-shared/index.js';
import { tempDir, testModelPath, tinyModelPath } from '../test-support/fixtures.js';
import { bootKernelWithCatalog, type CatalogFixtureModel } from '../test-support/model-catalog-fixture.js';
import { handleKernelRequest, type Kernel } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function nextEvent<T extends KernelEvent['type']>(kernel: Kernel, type: T, test: (event: Extract<KernelEvent, { type: T }>) => boolean = () => true, timeoutMs = 30_000) {
  return new Promise<Extract<KernelEvent, { type: T }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
    const stop = kernel.bus.on((event) => {
      if (event.type === type && test(event as Extract<KernelEvent, { type: T }>)) {
        clearTimeout(timer);
        stop();
        resolve(event as Extract<KernelEvent, { type: T }>);
      }
    });
  });
}

/** A kernel booted without a model, on a catalogue served from loopback. */
async function kernelWithCatalog(models: CatalogFixtureModel[], options: { bytesPerSecond?: number; modelPath?: string | null; kvType?: 'q8_0' } = {}) {
  const booted = await bootKernelWithCatalog(models, options);
  cleanups.push(booted.dispose);
  const { kernel } = booted;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- results are checked by the contract inside handleKernelRequest
  const call = (method: string, params: unknown = {}) => handleKernelRequest(kernel, method, params) as Promise<any>;
  return { ...booted, call };
}

describe('models through the kernel API', () => {
  it('puts the previous model back when llama.cpp cannot load the new one', async () => {
    // A quantized KV cache needs a head dimension that is a multiple of 32: the tiny model has it, stories260K not.
    const { kernel, call } = await kernelWithCatalog([], { modelPath: tinyModelPath(), kvType: 'q8_0' });
    await call('models.import', { path: testModelPath() });
    await expect(call('models.load', { file: 'stories260K.gguf' })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/head dimension[\s\S]*amk-tiny-hd32\.gguf is still loaded/),
    });
    expect(kernel.info().model?.name).toBe('amk-tiny-hd32.gguf');
    expect((await call('models.list')).inUse).toBe(kernel.info().model?.path);
  });

  it('downloads a catalogue model in the background with progress events, loads it and remembers it', async () => {
    const { kernel, call, dataDir } = await kernelWithCatalog([{ id: 'stories', source: testModelPath() }], { bytesPerSecond: 4_000_000 });
    const before = await call('models.list');
    expect(before).toMatchObject({ installed: [], inUse: null, loading: null, downloads: [], paused: [], defaultId: 'stories', gpu: { choice: 'cpu', backend: 'cpu', error: null } });
    expect(kernel.info().model).toBeNull();

    const progress: number[] = [];
    kernel.bus.on((event) => event.type === 'model.download' && progress.push(event.progress.receivedBytes));
    const installed = nextEvent(kernel, 'models.changed', (event) => event.installed.some((model) => model.file === 'stories.gguf'));
    const started = await call('models.download', { id: 'stories' });
    expect(started).toMatchObject({ id: 'stories', state: 'downloading', totalBytes: statSync(testModelPath()).size });
    // The download is under way in the background: the overview lists it, and a second start joins it.
    expect((await call('models.list')).downloads.map((d: { id: string }) => d.id)).toEqual(['stories']);
    expect(await call('models.download', { id: 'stories' })).toMatchObject({ id: 'stories' });
    await installed;
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(statSync(testModelPath()).size);

    const loading: number[] = [];
    kernel.bus.on((event) => event.type === 'model.loading' && loading.push(event.progress));
    const model = await call('models.load', { file: 'stories.gguf' });
    expect(model.path).toBe(join(dataDir, 'models', 'stories.gguf'));
    expect(kernel.info().model?.sha256).toBe(model.sha256);
    expect(loading.at(-1)).toBe(1);
    expect(JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')).model).toBe(model.path);
    expect((await call('models.list')).inUse).toBe(model.path);
    await expect(call('models.delete', { file: 'stories.gguf' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('cancels a download and resumes it from the partial file', async () => {
    const { kernel, call, fixture, dataDir } = await kernelWithCatalog([{ id: 'stories', source: testModelPath() }], { bytesPerSecond: 300_000 });
    const someArrived = nextEvent(kernel, 'model.download', (event) => event.progress.receivedBytes > 100_000);
    await call('models.download', { id: 'stories' });
    await someArrived;
    const failed = nextEvent(kernel, 'model.download', (event) => event.progress.state === 'failed');
    await call('models.cancel', { id: 'stories' });
    expect((await failed).progress.error).toMatch(/cancelled/);
    const partial = statSync(join(dataDir, 'models', 'stories.gguf.partial')).size;
    expect(partial).toBeGreaterThan(0);
    const afterCancel = await call('models.list');
    expect(afterCancel.downloads).toEqual([]);
    expect(afterCancel.paused).toEqual([{ id: 'stories', receivedBytes: partial, totalBytes: statSync(testModelPath()).size }]);

    // The partial is the model's name until it completes: no import takes it, and deleting it discards the partial.
    const resumed = nextEvent(kernel, 'model.download', (event) => event.progress.receivedBytes > partial);
    await call('models.download', { id: 'stories' });
    await resumed;
    const scratch = tempDir();
    cleanups.push(scratch.dispose);
    writeFileSync(join(scratch.path, 'stories.gguf'), readFileSync(testModelPath()));
    await expect(call('models.import', { path: join(scratch.path, 'stories.gguf') })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('downloading') });
    const done = nextEvent(kernel, 'models.changed', (event) => event.installed.some((model) => model.file === 'stories.gguf'));
    await done;
    await expect(call('models.download', { id: 'stories' })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('already installed') });
    expect(fixture.requests.at(-1)).toMatch(/^GET \/stories bytes=\d+-$/);
    expect(Number(/bytes=(\d+)-/.exec(fixture.requests.at(-1)!)![1])).toBeGreaterThanOrEqual(partial);
    expect(readFileSync(join(dataDir, 'models', 'stories.gguf')).equals(readFileSync(testModelPath()))).toBe(true);
  });

  it('discards a paused download when its file is deleted', async () => {
    const { kernel, call, dataDir } = await kernelWithCatalog([{ id: 'stories', source: testModelPath() }], { bytesPerSecond: 300_000 });
    const someArrived = nextEvent(kernel, 'model.download', (event) => event.progress.receivedBytes > 50_000);
    await call('models.download', { id: 'stories' });
    await someArrived;
    await expect(call('models.delete', { file: 'stories.gguf' })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('cancel the download first') });
    const failed = nextEvent(kernel, 'model.download', (event) => event.progress.state === 'failed');
    await call('models.cancel', { id: 'stories' });
    await failed;
    expect((await call('models.list')).paused).toHaveLength(1);
    await call('models.delete', { file: 'stories.gguf' });
    expect((await call('models.list')).paused).toEqual([]);
    expect(readdirSync(join(dataDir, 'models'))).toEqual([]);
  });

  it('reports a download that fails its checksum and installs nothing', async () => {
    const { kernel, call, dataDir } = await kernelWithCatalog([{ id: 'bad', source: testModelPath(), sha256: 'wrong' }]);
    const failed = nextEvent(kernel, 'model.download', (event) => event.progress.state === 'failed' && event.progress.error !== undefined && /sha256/.test(event.progress.error));
    await call('models.download', { id: 'bad' });
    expect((await failed).progress.error).toMatch(/not the expected file/);
    expect(readdirSync(join(dataDir, 'models')).filter((file) => !file.endsWith('.json'))).toEqual([]);
    await expect(call('models.download', { id: 'nope' })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('downloads an entry without a published checksum, checking the length the server reports, not the estimate', async () => {
    const { kernel, call, dataDir } = await kernelWithCatalog([{ id: 'unpinned', source: testModelPath(), sha256: 'none' }]);
    const done = nextEvent(kernel, 'models.changed', (event) => event.installed.length === 1);
    await call('models.download', { id: 'unpinned' });
    await done;
    expect(statSync(join(dataDir, 'models', 'unpinned.gguf')).size).toBe(statSync(testModelPath()).size);
  });

  it('imports local files after checking their header, refuses damaged ones, and deletes', async () => {
    const { call, dataDir } = await kernelWithCatalog([]);
    const scratch = tempDir();
    cleanups.push(scratch.dispose);
    const imported = await call('models.import', { path: tinyModelPath() });
    expect(imported).toMatchObject({ file: 'amk-tiny-hd32.gguf', catalogId: null, sizeBytes: statSync(tinyModelPath()).size });

    const notGguf = join(scratch.path, 'notes.gguf');
    writeFileSync(notGguf, 'not a model at all');
    await expect(call('models.import', { path: notGguf })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('GGUF') });
    const truncated = join(scratch.path, 'truncated.gguf');
    writeFileSync(truncated, readFileSync(testModelPath()).subarray(0, 200_000));
    await expect(call('models.import', { path: truncated })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/cut off|damaged/) });
    // Cut inside the last tensor: the header is whole, the data is not.
    const shortByTen = join(scratch.path, 'short.gguf');
    writeFileSync(shortByTen, readFileSync(testModelPath()).subarray(0, statSync(testModelPath()).size - 10));
    await expect(call('models.import', { path: shortByTen })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('is cut off') });
    await expect(call('models.import', { path: join(scratch.path, 'missing.gguf') })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(call('models.import', { path: tinyModelPath() })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('already installed') });
    expect(readdirSync(join(dataDir, 'models'))).toEqual(['amk-tiny-hd32.gguf']);

    await expect(call('models.delete', { file: '../config.json' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await call('models.delete', { file: 'amk-tiny-hd32.gguf' });
    expect((await call('models.list')).installed).toEqual([]);
  });

  it('refuses to switch models under live agents, and switches when none are live', async () => {
    const { kernel, call, dataDir } = await kernelWithCatalog([], { modelPath: testModelPath() });
    await call('models.import', { path: tinyModelPath() });
    const process = kernel.spawn('storyteller', 'a long tale about a fox', 'background', true);
    await expect(call('models.load', { file: 'amk-tiny-hd32.gguf' })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining(`${process.pid}`) });
    kernel.kill(process.pid);
    await kernel.wait(process.pid, 30_000);
    // A file damaged after its import is refused before anything is unloaded.
    const scratch = tempDir();
    cleanups.push(scratch.dispose);
    const damaged = join(scratch.path, 'damaged.gguf');
    writeFileSync(damaged, readFileSync(tinyModelPath()));
    await call('models.import', { path: damaged });
    writeFileSync(join(dataDir, 'models', 'damaged.gguf'), Buffer.concat([readFileSync(tinyModelPath()).subarray(0, 64), Buffer.alloc(statSync(tinyModelPath()).size - 64, 0xff)]));
    await expect(call('models.load', { file: 'damaged.gguf' })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/damaged\.gguf is (damaged|cut off)/) });
    expect(kernel.info().model?.name).toBe('stories260K.gguf');

    // One switch at a time: a second one while the first is under way is refused, not interleaved.
    const first = call('models.load', { file: 'amk-tiny-hd32.gguf' });
    await expect(call('models.load', { file: 'stories260K.gguf' })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('wait for it') });
    const model = await first;
    expect(model.name).toBe('amk-tiny-hd32.gguf');
    // The new model runs agents.
    const next = kernel.spawn('storyteller', 'a cat');
    const finished = await kernel.wait(next.pid, 60_000);
    expect(finished.state).toBe('exited');
    expect(finished.counters.tokensOut).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')).model).toBe(model.path);
  });
});

