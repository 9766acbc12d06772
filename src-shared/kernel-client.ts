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
export interface KernelClientOptions {
  /**
   * Told of each message from the kernel that the client cannot read (not JSON, not a message of
   * the contract, an answer to no call): such a message is never acted on, but never dropped
   * unseen either. Default: a console warning.
   */
  onUnreadable?: (reason: string) => void;
}

const MAX_REPORTS = 20;

/** The first characters of an unreadable message, for a log line. */
function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text;
}

export function createKernelClient(transport: MessageTransport, options: KernelClientOptions = {}): KernelClient {
  const report = options.onUnreadable ?? ((reason: string) => console.warn(`amk client: ${reason}`));
  // A kernel that keeps sending what this client cannot read is reported, not allowed to flood the log.
  let reported = 0;
  const unreadable = (reason: string): void => {
    reported += 1;
    if (reported <= MAX_REPORTS) report(reported === MAX_REPORTS ? `${reason} (further unreadable messages are not reported)` : reason);
  };
  let nextId = 1;
  let closedReason: string | null = null;
  const pending = new Map<number, { method: KernelMethod; resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Set<(event: KernelEvent) => void>();
  let subscribed: Promise<unknown> | null = null;

  transport.onMessage((text) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      unreadable(`a message from the kernel is not JSON, ignored: ${excerpt(text)}`);
      return;
    }
    const read = ServerMessage.safeParse(json);
    if (!read.success) {
      // A reply to a call that cannot be read fails that call, rather than leaving it waiting forever.
      const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
      const call = typeof id === 'number' ? pending.get(id) : undefined;
      if (call && typeof id === 'number') {
        pending.delete(id);
        call.reject(new KernelCallError({ code: 'INTERNAL', message: `the kernel's reply to ${call.method} is not a message of the contract` }));
      } else unreadable(`a message from the kernel does not match the contract, ignored: ${excerpt(text)}`);
      return;
    }
    const message = read.data;
    if (message.kind === 'event') {
      for (const listener of listeners) listener(message.event);
      return;
    }
    const call = message.id === null ? undefined : pending.get(message.id);
    if (!call || message.id === null) {
      // An error with no id is the server refusing something it could not tie to a call.
      unreadable(message.kind === 'error' ? `the kernel says: ${message.error.code}: ${message.error.message}` : `a reply to no call of this client, ignored (id ${message.id})`);
      return;
    }
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
