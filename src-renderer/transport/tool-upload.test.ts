// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { AmkBridge } from '../../src-shared/index.js';
import { toolReview } from '../test-support/tool-fixtures.js';
import { preloadConnector } from './kernel-connector.js';
import { toolUploadUrl } from './tool-upload.js';

describe('bringing a tool package from the page', () => {
  it('in Electron, stages the picked file by its path, never its bytes', async () => {
    const invoke = vi.fn(() => Promise.resolve(toolReview()));
    const pathForFile = vi.fn(() => '/home/me/Downloads/page.tar.gz');
    const connection = await preloadConnector({ invoke, subscribe: () => () => {}, pathForFile } as unknown as AmkBridge).open(null);
    const file = new File([new Uint8Array([31, 139])], 'page.tar.gz');
    expect(await connection.stageToolPackage?.(file)).toEqual(toolReview());
    expect(invoke).toHaveBeenCalledWith('tools.stage', { path: '/home/me/Downloads/page.tar.gz' });
  });

  it('in Electron, refuses a file with no path on disk without calling the kernel', async () => {
    const invoke = vi.fn();
    const connection = await preloadConnector({ invoke, subscribe: () => () => {}, pathForFile: () => '' } as unknown as AmkBridge).open(null);
    await expect(connection.stageToolPackage?.(new File([], 'page.tar.gz'))).rejects.toThrow('page.tar.gz has no path on disk');
    expect(invoke).not.toHaveBeenCalled();
  });

  it('in a browser, uploads to the kernel it was served from, with the name escaped', () => {
    expect(toolUploadUrl({ protocol: 'http:', host: '127.0.0.1:7420' }, 'my tool?.tar.gz')).toBe('http://127.0.0.1:7420/tools/upload?name=my%20tool%3F.tar.gz');
  });
});
