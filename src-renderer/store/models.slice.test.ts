// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { DownloadProgress, KernelClient, ModelsOverview } from '../../src-shared/index.js';
import { modelInfo, stamp } from '../test-support/kernel-fixtures.js';
import { createKernelStore } from './kernel-store.js';

const overview = (): ModelsOverview => ({
  directory: '/data/models',
  defaultId: 'small',
  catalog: [],
  installed: [{ file: 'a.gguf', path: '/data/models/a.gguf', sizeBytes: 10, catalogId: null }],
  inUse: null,
  loading: null,
  downloads: [],
  paused: [],
  gpu: { choice: 'auto', backend: 'cpu', devices: [], vram: null, error: null },
});

const progress = (overrides: Partial<DownloadProgress> = {}): DownloadProgress => ({
  id: 'small',
  file: 'small.gguf',
  receivedBytes: 50,
  totalBytes: 100,
  bytesPerSecond: 10,
  secondsLeft: 5,
  state: 'downloading',
  attempt: 1,
  ...overrides,
});

function connectedStore(result: unknown = overview()) {
  const store = createKernelStore();
  const call = vi.fn(() => Promise.resolve(result));
  store.getState().connectionOpened({ call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient);
  return { store, call };
}

describe('models slice', () => {
  it('follows downloads, model loading and folder changes from events', async () => {
    const { store } = connectedStore();
    await store.getState().refreshModels();
    store.getState().ingest([
      stamp({ type: 'model.download', progress: progress() }),
      stamp({ type: 'model.loading', path: '/data/models/a.gguf', progress: 0.4 }),
    ]);
    expect(store.getState().models.downloads.small?.receivedBytes).toBe(50);
    expect(store.getState().models.loading).toEqual({ path: '/data/models/a.gguf', progress: 0.4 });

    const installed = [...overview().installed, { file: 'small.gguf', path: '/data/models/small.gguf', sizeBytes: 100, catalogId: 'small' }];
    store.getState().ingest([
      stamp({ type: 'model.download', progress: progress({ receivedBytes: 100, state: 'done' }) }),
      stamp({ type: 'models.changed', installed, inUse: null }),
      stamp({ type: 'model.loaded', model: modelInfo({ path: '/data/models/a.gguf' }) }),
    ]);
    const { models } = store.getState();
    expect(models.downloads.small?.state).toBe('done');
    expect(models.overview?.installed.map((model) => model.file)).toEqual(['a.gguf', 'small.gguf']);
    expect(models.overview?.inUse).toBe('/data/models/a.gguf');
    expect(models.loading).toBeNull();
  });

  it('refuses a file that is not a GGUF before sending anything, and reports a failed import', async () => {
    const { store } = connectedStore();
    const importer = vi.fn(() => Promise.reject(new Error('the upload of big.gguf was interrupted')));
    store.getState().setImporter(importer);
    await store.getState().importModelFile(new File(['x'], 'notes.txt'));
    expect(importer).not.toHaveBeenCalled();
    expect(store.getState().errors.at(-1)?.message).toBe('notes.txt is not a .gguf model file');

    await store.getState().importModelFile(new File(['GGUF'], 'big.gguf'));
    expect(importer).toHaveBeenCalledOnce();
    expect(store.getState().models.uploads).toEqual([{ name: 'big.gguf', sentBytes: 0, totalBytes: 4, state: 'failed', error: 'the upload of big.gguf was interrupted' }]);
    expect(store.getState().errors.at(-1)?.message).toBe('the upload of big.gguf was interrupted');
  });

  it('says so when the page has no way to import files', async () => {
    const { store } = connectedStore();
    await store.getState().importModelFile(new File(['GGUF'], 'm.gguf'));
    expect(store.getState().errors.at(-1)?.message).toMatch(/cannot import files/);
  });
});
