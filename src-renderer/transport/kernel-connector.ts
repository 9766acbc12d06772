import type { AmkBridge, KernelClient, MessageTransport } from '../../src-shared/index.js';
import { createKernelClient } from '../../src-shared/index.js';
import { createPreloadClient, preloadOf } from './preload-client.js';
import { kernelSocketUrl, openWebSocketTransport, tokenFromLocation } from './websocket-transport.js';

/** An open line to the kernel. */
export interface KernelConnection {
  client: KernelClient;
  /** Called once if the line drops; a preload line lasts as long as the window. */
  onClose(handler: (reason: string) => void): void;
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
    open: () => Promise.resolve({ client: createPreloadClient(amk), onClose: () => {} }),
  };
}

export function webSocketConnector(
  location: Pick<Location, 'search' | 'protocol' | 'host'>,
  openTransport: (url: string) => Promise<MessageTransport> = openWebSocketTransport,
): KernelConnector {
  return {
    kind: 'websocket',
    initialToken: () => tokenFromLocation(location) ?? undefined,
    async open(token) {
      if (token === null) throw new Error('the kernel needs the access token `amk serve` printed');
      const transport = await openTransport(kernelSocketUrl(location, token));
      return { client: createKernelClient(transport), onClose: (handler) => transport.onClose(handler) };
    },
  };
}

/** The preload when the page runs in the Electron window, else the WebSocket on the page's origin. */
export function connectorFor(scope: Window): KernelConnector {
  const amk = preloadOf(scope);
  return amk ? preloadConnector(amk) : webSocketConnector(scope.location);
}
