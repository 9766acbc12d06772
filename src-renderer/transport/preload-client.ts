import type { KernelClient, KernelEvent, KernelMethod, KernelParams, KernelResult } from '../../src-shared/index.js';
import { ErrorPayload, KernelCallError, KernelEvent as KernelEventSchema, kernelApi } from '../../src-shared/index.js';

/**
 * The object the Electron preload exposes as `window.amk`: one invoke and one subscription,
 * nothing else of Electron. The renderer treats what crosses it as unknown and validates it.
 */
export interface AmkPreload {
  invoke(method: string, params: unknown): Promise<unknown>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: unknown) => void): () => void;
}

/** `window.amk` when the page runs in the Electron window, else null. */
export function preloadOf(scope: object): AmkPreload | null {
  const candidate = (scope as { amk?: unknown }).amk;
  if (typeof candidate !== 'object' || candidate === null) return null;
  const { invoke, subscribe } = candidate as Partial<Record<keyof AmkPreload, unknown>>;
  return typeof invoke === 'function' && typeof subscribe === 'function' ? (candidate as AmkPreload) : null;
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

/** The kernel API over the Electron preload, with results and events validated against the contract. */
export function createPreloadClient(amk: AmkPreload): KernelClient {
  const unsubscribes = new Set<() => void>();
  let closed = false;

  const call = async <M extends KernelMethod>(method: M, params: KernelParams<M>): Promise<KernelResult<M>> => {
    if (closed) throw new KernelCallError({ code: 'INTERNAL', message: 'connection closed: the client was closed' });
    let raw: unknown;
    try {
      raw = await amk.invoke(method, params);
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
      const unsubscribe = amk.subscribe((raw) => {
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
