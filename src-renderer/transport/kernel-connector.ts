import type { AmkBridge, KernelClient, MessageTransport } from '../../src-shared/index.js';
import { createKernelClient } from '../../src-shared/index.js';
import type { ModelFileImporter } from '../store/models.slice.js';
import type { ToolPackageStager } from '../store/tools.slice.js';
import { uploadModelFile } from './model-upload.js';
import { createPreloadClient, preloadOf } from './preload-client.js';
import { uploadToolPackage } from './tool-upload.js';
import { kernelSocketProtocols, kernelSocketUrl, openWebSocketTransport, rememberToken, takeTokenFromPage, type PageScope } from './websocket-transport.js';

/** An open line to the kernel. */
export interface KernelConnection {
  client: KernelClient;
  /** Called once if the line drops; a preload line lasts as long as the window. */
  onClose(handler: (reason: string) => void): void;
  /** Brings a picked or dropped model file to the kernel; absent where the page cannot. */
  importModelFile?: ModelFileImporter;
  /** Brings a picked or dropped tool package to the kernel for review; absent where the page cannot. */
  stageToolPackage?: ToolPackageStager;
}

/** How the page reaches the kernel: the Electron preload, or the WebSocket of `amk serve`. */
export interface KernelConnector {
  readonly kind: 'preload' | 'websocket';
  /** The token to start with; null when none is needed; undefined when the user must be asked. */
  initialToken(): string | null | undefined;
  open(token: string | null): Promise<KernelConnection>;
}

export function preloadConnector(amk: AmkBridge): KernelConnector {
  return {
    kind: 'preload',
    initialToken: () => null,
    open: () => {
      const client = createPreloadClient(amk);
      const pathForFile = amk.pathForFile?.bind(amk);
      return Promise.resolve({
        client,
        onClose: () => {},
        // Electron knows the picked file's path: main copies it in, nothing crosses IPC but the path.
        ...(pathForFile
          ? {
              importModelFile: (file: File) => {
                const path = pathForFile(file);
                if (path === '') return Promise.reject(new Error(`${file.name} has no path on disk: drop it from a folder, or use Choose a GGUF file…`));
                return client.call('models.import', { path });
              },
              stageToolPackage: (file: File) => {
                const path = pathForFile(file);
                if (path === '') return Promise.reject(new Error(`${file.name} has no path on disk: drop it from a folder, or use Install a tool…`));
                return client.call('tools.stage', { path });
              },
            }
          : {}),
      });
    },
  };
}

/**
 * The WebSocket of `amk serve`: the token comes from the link's fragment (or what this tab kept) and
 * goes to the server as a subprotocol, never in an address.
 */
export function webSocketConnector(
  page: PageScope,
  openTransport: (url: string, protocols: string[]) => Promise<MessageTransport> = openWebSocketTransport,
): KernelConnector {
  const { location } = page;
  return {
    kind: 'websocket',
    initialToken: () => takeTokenFromPage(page) ?? undefined,
    async open(token) {
      if (token === null) throw new Error('the kernel needs its access token (in serve.json in its data folder)');
      const transport = await openTransport(kernelSocketUrl(location), kernelSocketProtocols(token));
      // Kept for this tab only once it worked: a reload reconnects without asking again.
      rememberToken(page, token);
      return {
        client: createKernelClient(transport),
        onClose: (handler) => transport.onClose(handler),
        importModelFile: (file, onProgress) => uploadModelFile(location, token, file, onProgress),
        stageToolPackage: (file) => uploadToolPackage(location, token, file),
      };
    },
  };
}

/** The preload when the page runs in the Electron window, else the WebSocket on the page's origin. */
export function connectorFor(scope: Window): KernelConnector {
  const amk = preloadOf(scope);
  return amk ? preloadConnector(amk) : webSocketConnector(scope);
}
