import type { KernelClient, KernelEvent, KernelInfo, KernelMethod, KernelParams, KernelResult } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/**
 * needs-token: the page has no token to offer; connecting; open; failed: never got through
 * (a wrong token and a stopped kernel look the same to a browser); closed: was open, then lost.
 */
export type ConnectionStatus = 'needs-token' | 'connecting' | 'open' | 'failed' | 'closed';

export interface Connection {
  status: ConnectionStatus;
  reason: string | null;
}

export interface KernelSlice {
  info: KernelInfo | null;
  connection: Connection;
  /** The live client while the connection is open; commands go through it. */
  client: KernelClient | null;
  /** Events the kernel's bus dropped for this page since it connected. */
  droppedEvents: number;
  connectionOpened(client: KernelClient): void;
  connectionChanged(status: Exclude<ConnectionStatus, 'open'>, reason?: string): void;
  /** Calls the kernel; a refusal lands in the error banner and resolves to undefined. */
  callKernel<M extends KernelMethod>(method: M, params: KernelParams<M>): Promise<KernelResult<M> | undefined>;
}

export function applyKernelEvent(info: KernelInfo | null, event: KernelEvent): KernelInfo | null {
  if (!info) return info;
  switch (event.type) {
    case 'kernel.started':
      return { ...info, version: event.version };
    case 'model.loaded':
      return { ...info, model: event.model, modelError: null };
    case 'model.failed':
      return { ...info, model: null, modelError: event.error.message };
    case 'memory.status':
      return { ...info, memory: { available: event.available, reason: event.reason } };
    default:
      return info;
  }
}

export const createKernelSlice: SliceCreator<KernelSlice> = (set, get) => ({
  info: null,
  connection: { status: 'connecting', reason: null },
  client: null,
  droppedEvents: 0,
  connectionOpened: (client) =>
    set({ client, connection: { status: 'open', reason: null }, droppedEvents: 0 }, false, 'kernel/connection-opened'),
  connectionChanged: (status, reason) =>
    set({ client: null, connection: { status, reason: reason ?? null } }, false, `kernel/connection-${status}`),
  callKernel: async (method, params) => {
    const client = get().client;
    if (!client) {
      get().raiseError(new Error('not connected to the kernel'));
      return undefined;
    }
    try {
      return await client.call(method, params);
    } catch (error) {
      get().raiseError(error);
      return undefined;
    }
  },
});
