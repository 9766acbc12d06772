import type { AmkBridge, KernelClient, KernelEvent, KernelMethod, KernelParams, KernelResult } from '../../src-shared/index.js';
import { ErrorPayload, KernelCallError, KernelEvent as KernelEventSchema, kernelApi } from '../../src-shared/index.js';

/**
 * Methods about the connection itself. Over the preload the window's event subscription is the
 * connection: main makes the window the grant approver while it is subscribed, so these are
 * answered here rather than sent.
 */
const CONNECTION_METHODS: readonly KernelMethod[] = ['events.subscribe', 'grants.attach'];

/** `window.amk` (the preload's bridge) when the page runs in the Electron window, else null. */
export function preloadOf(scope: object): AmkBridge | null {
  const candidate = (scope as { amk?: unknown }).amk;
  if (typeof candidate !== 'object' || candidate === null) return null;
  const { invoke, subscribe } = candidate as Partial<Record<keyof AmkBridge, unknown>>;
  return typeof invoke === 'function' && typeof subscribe === 'function' ? (candidate as AmkBridge) : null;
}

/**
 * An error from the preload as a KernelCallError. Errors cross IPC as `{ code, message, data }`;
 * Electron keeps only the message of a thrown Error, so a payload may also arrive as JSON inside it.
 */
export function toKernelCallError(error: unknown): KernelCallError {
  if (error instanceof KernelCallError) return error;
  const direct = ErrorPayload.safeParse(error);
  if (direct.success) return new KernelCallError(direct.data);
  const message = error instanceof Error ? error.message : String(error);
  const start = message.indexOf('{');
  if (start !== -1) {
    try {
      const embedded = ErrorPayload.safeParse(JSON.parse(message.slice(start)));
      if (embedded.success) return new KernelCallError(embedded.data);
    } catch {
      // Not JSON: the message is all there is.
    }
  }
  return new KernelCallError({ code: 'INTERNAL', message });
}

/**
 * The kernel API over the Electron preload. What crosses it is treated as unknown, whatever its
 * declared type: results and events are validated against the contract, as over the WebSocket.
 */
export function createPreloadClient(amk: AmkBridge): KernelClient {
  const unsubscribes = new Set<() => void>();
  let closed = false;

  const call = async <M extends KernelMethod>(method: M, params: KernelParams<M>): Promise<KernelResult<M>> => {
    if (closed) throw new KernelCallError({ code: 'INTERNAL', message: 'connection closed: the client was closed' });
    if (CONNECTION_METHODS.includes(method)) return { ok: true } as KernelResult<M>;
    let raw: unknown;
    try {
      raw = await (amk.invoke as (name: string, args: unknown) => Promise<unknown>)(method, params);
    } catch (error) {
      throw toKernelCallError(error);
    }
    const parsed = kernelApi[method].result.safeParse(raw);
    if (!parsed.success) throw new KernelCallError({ code: 'INTERNAL', message: `the kernel's reply to ${method} does not match the contract` });
    return parsed.data as KernelResult<M>;
  };

  return {
    call,
    subscribe(listener: (event: KernelEvent) => void) {
      const unsubscribe = amk.subscribe((raw: unknown) => {
        const parsed = KernelEventSchema.safeParse(raw);
        if (parsed.success) listener(parsed.data);
      });
      unsubscribes.add(unsubscribe);
      return () => {
        unsubscribes.delete(unsubscribe);
        unsubscribe();
      };
    },
    close() {
      closed = true;
      for (const unsubscribe of unsubscribes) unsubscribe();
      unsubscribes.clear();
    },
  };
}
