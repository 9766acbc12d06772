// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { AmkBridge } from '../../src-shared/index.js';
import type { MessageTransport } from '../../src-shared/index.js';
import { preloadConnector, webSocketConnector } from './kernel-connector.js';
import { modelUploadUrl } from './model-upload.js';
import { TOKEN_STORAGE_KEY, type PageScope } from './websocket-transport.js';

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

/** A page at `address` with jsdom's own history and a fresh sessionStorage. */
function pageAt(address: string): PageScope & { replaceState: ReturnType<typeof vi.spyOn> } {
  window.history.replaceState(null, '', address);
  window.sessionStorage.clear();
  return { location: window.location, history: window.history, sessionStorage: window.sessionStorage, replaceState: vi.spyOn(window.history, 'replaceState') };
}

const transport: MessageTransport = { send: () => {}, onMessage: () => {}, onClose: () => {}, close: () => {} };

describe('the token of the browser UI', () => {
  it('takes the token from the link\'s fragment, keeps it for this tab, and takes it out of the address bar at once', () => {
    const page = pageAt('/#token=abc123');
    const connector = webSocketConnector(page, vi.fn());
    expect(connector.initialToken()).toBe('abc123');
    expect(window.location.href).toBe('http://localhost:3000/');
    expect(page.replaceState).toHaveBeenCalledOnce();
    expect(window.sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBe('abc123');
    // A reload finds the address clean and the token kept.
    expect(webSocketConnector(page, vi.fn()).initialToken()).toBe('abc123');
  });

  it('still reads the old ?token= link for one release, and removes it too', () => {
    pageAt('/?token=old1&view=top');
    expect(webSocketConnector(window, vi.fn()).initialToken()).toBe('old1');
    expect(window.location.href).toBe('http://localhost:3000/?view=top');
  });

  it('asks for a token when neither the address nor the tab has one', () => {
    pageAt('/');
    expect(webSocketConnector(window, vi.fn()).initialToken()).toBeUndefined();
  });

  it('sends the token as a subprotocol beside amk.v1, never in the socket address, and keeps a token that worked', async () => {
    pageAt('/');
    const open = vi.fn(() => Promise.resolve(transport));
    await webSocketConnector(window, open).open('typed-token');
    expect(open).toHaveBeenCalledWith('ws://localhost:3000/api', ['amk.v1', 'amk.token.typed-token']);
    expect(window.sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBe('typed-token');
  });

  it('keeps no token the kernel refused', async () => {
    pageAt('/');
    const open = vi.fn(() => Promise.reject(new Error('could not reach the kernel')));
    await expect(webSocketConnector(window, open).open('wrong')).rejects.toThrow(/could not reach/);
    expect(window.sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
  });
});
