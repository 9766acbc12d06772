// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { AmkBridge } from '../../src-shared/index.js';
import { preloadConnector } from './kernel-connector.js';
import { modelUploadUrl } from './model-upload.js';

const installed = { file: 'picked.gguf', path: '/data/models/picked.gguf', sizeBytes: 4, catalogId: null };

describe('importing a model file from the page', () => {
  it('in Electron, hands main the path of the picked file, never its bytes', async () => {
    const invoke = vi.fn(() => Promise.resolve(installed));
    const pathForFile = vi.fn(() => '/home/me/Downloads/picked.gguf');
    const connection = await preloadConnector({ invoke, subscribe: () => () => {}, pathForFile } as unknown as AmkBridge).open(null);
    const file = new File(['GGUF'], 'picked.gguf');
    expect(await connection.importModelFile?.(file, () => {})).toEqual(installed);
    expect(pathForFile).toHaveBeenCalledWith(file);
    expect(invoke).toHaveBeenCalledWith('models.import', { path: '/home/me/Downloads/picked.gguf' });
  });

  it('offers no import where the preload cannot name a file path', async () => {
    const connection = await preloadConnector({ invoke: vi.fn(), subscribe: () => () => {} } as unknown as AmkBridge).open(null);
    expect(connection.importModelFile).toBeUndefined();
  });

  it('in a browser, uploads to the kernel it was served from, with the name escaped', () => {
    expect(modelUploadUrl({ protocol: 'http:', host: '127.0.0.1:7420' }, 'my model?.gguf')).toBe('http://127.0.0.1:7420/models/upload?name=my%20model%3F.gguf');
  });
});
