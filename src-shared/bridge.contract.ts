import type { KernelEvent } from './event.contract.js';
import type { KernelMethod, KernelParams, KernelResult } from './kernel-api.contract.js';

/** IPC channels between the Electron preload and main; every one carries this prefix. */
export const BRIDGE_PREFIX = 'amk:';
export const BRIDGE_CHANNELS = {
  invoke: 'amk:invoke',
  subscribe: 'amk:subscribe',
  unsubscribe: 'amk:unsubscribe',
  event: 'amk:event',
} as const;

/** The one object the preload exposes to the renderer (as `window.amk`). */
export interface AmkBridge {
  invoke<M extends KernelMethod>(method: M, params: KernelParams<M>): Promise<KernelResult<M>>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: KernelEvent) => void): () => void;
  /** The path of a file the user picked or dropped (Electron's webUtils), so main can import it by path. */
  pathForFile?(file: object): string;
}

/** What crosses `amk:invoke`: checked in main before anything runs. */
export interface BridgeRequest {
  method: string;
  params: unknown;
}

/** What comes back: errors as `{ code, message, data }`, since Electron passes only an Error's message. */
export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; data?: unknown } };
