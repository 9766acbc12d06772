import type { ErrorPayload } from './errors.js';
import type { KernelEvent } from './event.contract.js';
import type { KernelClient, KernelMethod, KernelParams, KernelResult } from './kernel-api.contract.js';
import { ServerMessage, kernelApi } from './kernel-api.contract.js';

/** An error answered by the kernel, with its stable code. */
export class KernelCallError extends Error {
  readonly code: ErrorPayload['code'];
  readonly data: unknown;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = 'KernelCallError';
    this.code = payload.code;
    this.data = payload.data;
  }
}

/** A message channel to the kernel: a WebSocket, or anything shaped like one. */
export interface MessageTransport {
  send(text: string): void;
  /** Registers the handler for incoming text; called once. */
  onMessage(handler: (text: string) => void): void;
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

/**
 * The client half of the kernel API over any transport. Results are validated against the
 * contract, so a client never acts on a reply it does not understand.
 */
export function createKernelClient(transport: MessageTransport): KernelClient {
  let nextId = 1;
  let closedReason: string | null = null;
  const pending = new Map<number, { method: KernelMethod; resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Set<(event: KernelEvent) => void>();
  let subscribed: Promise<unknown> | null = null;

  transport.onMessage((text) => {
    let message: ServerMessage;
    try {
      message = ServerMessage.parse(JSON.parse(text));
    } catch {
      return;
    }
    if (message.kind === 'event') {
      for (const listener of listeners) listener(message.event);
      return;
    }
    if (message.id === null) return;
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    if (message.kind === 'error') {
      call.reject(new KernelCallError(message.error));
      return;
    }
    const parsed = kernelApi[call.method].result.safeParse(message.result);
    if (parsed.success) call.resolve(parsed.data);
    else call.reject(new KernelCallError({ code: 'INTERNAL', message: `the kernel's reply to ${call.method} does not match the contract` }));
  });
  transport.onClose((reason) => {
    closedReason = reason;
    for (const call of pending.values()) call.reject(new KernelCallError({ code: 'INTERNAL', message: `connection closed: ${reason}` }));
    pending.clear();
  });

  const call = <M extends KernelMethod>(method: M, params: KernelParams<M>): Promise<KernelResult<M>> => {
    if (closedReason !== null) return Promise.reject(new KernelCallError({ code: 'INTERNAL', message: `connection closed: ${closedReason}` }));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      transport.send(JSON.stringify({ id, method, params }));
    });
  };

  return {
    call,
    subscribe(listener) {
      listeners.add(listener);
      subscribed ??= call('events.subscribe', {});
      return () => listeners.delete(listener);
    },
    close: () => transport.close(),
  };
}
