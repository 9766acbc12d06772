import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { lookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { KernelError } from '../core/kernel-error.js';

/** Bounds on every remote call: a core is outside bytes, answered slowly, hugely or not at all. */
export interface RemoteLimits {
  /** Whole-request limit for short calls (health, props, tokenize, slot actions). */
  requestMs: number;
  /** Longest silence inside a streamed generation (prefill of a long prompt included). */
  idleMs: number;
  /** Largest body a short call may answer with. */
  maxBodyBytes: number;
}

export const DEFAULT_REMOTE_LIMITS: RemoteLimits = { requestMs: 10_000, idleMs: 120_000, maxBodyBytes: 4 * 1024 * 1024 };
/** One streamed event line (a token, its text, the final timings) is far below this. */
const MAX_EVENT_BYTES = 1024 * 1024;
/** Idempotent calls are tried this many times in all; a generation step never twice. */
const ATTEMPTS = 3;

/**
 * A fault of the core itself (refused, reset, timed out, 5xx, garbage): the pool marks it down.
 * Anything else (a 4xx: the kernel asked for something the engine does not do) is the request's.
 */
export class CoreFault extends KernelError {
  constructor(message: string) {
    super('CORE_UNAVAILABLE', message);
  }
}

/** A remote request that can be ended from outside: by the caller's signal, or by the pool marking its core down. */
export interface TrackedRequest {
  signal: AbortSignal;
  /** The fault the core was marked down with, when that is what ended the request. */
  fault: () => CoreFault | null;
  done: () => void;
}

/** A core's requests in flight, so that marking it down (or removing it) ends them all at once. */
export class InFlightRequests {
  private readonly controllers = new Set<AbortController>();

  constructor(private readonly coreName: () => string) {}

  track(signal: AbortSignal | undefined): TrackedRequest {
    const controller = new AbortController();
    this.controllers.add(controller);
    return {
      signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
      fault: () => (controller.signal.aborted ? (controller.signal.reason as CoreFault) : null),
      done: () => this.controllers.delete(controller),
    };
  }

  abortAll(reason: string): void {
    for (const controller of this.controllers) controller.abort(new CoreFault(`core ${this.coreName()} is down: ${reason}`));
    this.controllers.clear();
  }
}

export interface RemoteTarget {
  /** Base URL without user info, query or fragment (checked when the core is added). */
  base: URL;
  /** The bearer token, read from the environment; it never appears in an error or a log. */
  token: string | null;
  limits: RemoteLimits;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  signal?: AbortSignal;
}

function open(target: RemoteTarget, call: Call, onResponse: (res: IncomingMessage) => void, onError: (error: Error) => void): () => void {
  const url = new URL(call.path.replace(/^\//, ''), target.base.href.endsWith('/') ? target.base : new URL(`${target.base.href}/`));
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body), 'utf8');
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
  if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(payload.length) });
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  // One connection per request: a kept-alive socket the server has just closed fails a POST that was never sent.
  // Redirects are never followed (node's client does not): the token goes to the configured origin only.
  let req: ReturnType<typeof httpRequest>;
  try {
    req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: call.method, headers, agent: false, lookup: guardedLookup }, onResponse);
  } catch (error) {
    // A header node refuses (a token with a newline) throws here, not on 'error': reported the same way, later.
    queueMicrotask(() => onError(error as Error));
    return () => {};
  }
  req.on('error', onError);
  req.end(payload);
  return () => req.destroy();
}

/**
 * Addresses no inference server is reached at, but cloud credentials are: link-local (the
 * metadata service at 169.254.169.254, fe80::/10), the unspecified address, and AWS's IPv6
 * metadata address. Loopback and private networks stay allowed: a core on this box or the LAN is
 * the point. Checked for a literal host when the core is added and for every resolved name here.
 */
export function forbiddenAddress(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(address) === 4) return address.startsWith('169.254.') || address === '0.0.0.0';
  if (isIP(address) === 6) {
    // An IPv4-mapped address, dotted or as WHATWG URL writes it (::ffff:a9fe:a9fe).
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
    if (mapped) return forbiddenAddress(mapped[1]!);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
    if (hex) return forbiddenAddress([parseInt(hex[1]!, 16) >> 8, parseInt(hex[1]!, 16) & 255, parseInt(hex[2]!, 16) >> 8, parseInt(hex[2]!, 16) & 255].join('.'));
    return /^fe[89ab][0-9a-f]:/.test(address) || address === '::' || address === 'fd00:ec2::254';
  }
  return false;
}

/** dns.lookup, refusing a name that resolves to a forbidden address (see forbiddenAddress). */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as LookupAddress[];
    const bad = list.find((entry) => forbiddenAddress(entry.address));
    if (bad) return callback(new Error(`${hostname} resolves to ${bad.address}, a link-local or metadata address`), '', 0);
    if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};

/** What an engine said, for an error: bounded, and without the token should it echo the request back. */
function quote(target: RemoteTarget, text: string, max: number): string {
  const short = text.slice(0, max + (target.token?.length ?? 0) * 4);
  return printable((target.token ? short.split(target.token).join('[token]') : short).slice(0, max));
}

/**
 * An engine's text as the kernel shows it (a reason, a model name): control characters become
 * spaces, so an answer cannot carry terminal escapes into `amk cores list` or a log line.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

/**
 * Whether a status from a generation is the core's fault (it is marked down and the step runs
 * elsewhere) rather than the request's: a redirect (never followed), refused credentials, a
 * missing endpoint, a timeout or rate limit, a 5xx, or a context it said it had and has not.
 */
function coreAtFault(status: number, text: string): boolean {
  if (status === 0 || status >= 500 || (status >= 300 && status < 400)) return true;
  if ([401, 403, 404, 408, 429].includes(status)) return true;
  return status === 400 && text.includes('exceed_context_size_error');
}

function describe(target: RemoteTarget, call: Call): string {
  return `${call.method} ${target.base.origin}${target.base.pathname.replace(/\/$/, '')}${call.path}`;
}

function faultOf(target: RemoteTarget, call: Call, error: Error): CoreFault {
  const code = (error as NodeJS.ErrnoException).code;
  return new CoreFault(`${describe(target, call)} failed: ${code ?? error.message}`);
}

/** A short call answered with JSON: status and parsed body, within the time and size limits. */
export function callJson(target: RemoteTarget, call: Call): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: { status: number; body: unknown }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      cancel();
      if (error) reject(error);
      else resolve(value!);
    };
    const onAbort = (): void => finish(new KernelError('INVALID_STATE', 'the request was cancelled'));
    const timer = setTimeout(() => finish(new CoreFault(`${describe(target, call)} did not answer within ${target.limits.requestMs} ms`)), target.limits.requestMs);
    call.signal?.addEventListener('abort', onAbort, { once: true });
    const cancel = open(
      target,
      call,
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('error', (error) => finish(faultOf(target, call, error)));
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // Checked while reading: a huge body is refused before it is held.
          if (size > target.limits.maxBodyBytes) return finish(new CoreFault(`${describe(target, call)} answered more than ${target.limits.maxBodyBytes} bytes`));
          chunks.push(chunk);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          // 501 is llama-server's "not supported" (a slot action without --slot-save-path): an answer, not a fault.
          if (status >= 500 && status !== 501) return finish(new CoreFault(`${describe(target, call)} answered ${status}: ${quote(target, text, 200)}`));
          try {
            finish(null, { status, body: text.length === 0 ? null : JSON.parse(text) });
          } catch {
            finish(new CoreFault(`${describe(target, call)} answered ${status} with a body that is not JSON`));
          }
        });
      },
      (error) => finish(faultOf(target, call, error)),
    );
    if (call.signal?.aborted) onAbort();
  });
}

/** `callJson` tried again on a fault, for calls that change nothing (health, props, tokenize). */
export async function callIdempotent(target: RemoteTarget, call: Call): Promise<{ status: number; body: unknown }> {
  let last: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      return await callJson(target, call);
    } catch (error) {
      last = error;
      if (!(error instanceof CoreFault) || call.signal?.aborted) throw error;
      // A short backoff: a restarting server or a dropped packet, not a load shed.
      if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  throw last;
}

/**
 * A streamed call (server-sent events): `onEvent` gets each `data:` line parsed, and returns true
 * to stop reading (the request is closed, which stops the engine's generation). Never retried.
 */
export function callStream(target: RemoteTarget, call: Call, onEvent: (event: unknown) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      cancel();
      if (error) reject(error);
      else resolve();
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new CoreFault(`${describe(target, call)} sent no event for ${target.limits.idleMs} ms`)), target.limits.idleMs);
    };
    const onAbort = (): void => finish(null);
    call.signal?.addEventListener('abort', onAbort, { once: true });
    arm();
    const cancel = open(
      target,
      call,
      (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', (error) => finish(faultOf(target, call, error)));
        if (status !== 200) {
          let text = '';
          res.on('data', (chunk: Buffer) => (text = (text + chunk.toString('utf8')).slice(0, 2000)));
          res.on('end', () => {
            const message = `${describe(target, call)} answered ${status}: ${quote(target, text, 300)}`;
            finish(coreAtFault(status, text) ? new CoreFault(message) : new KernelError('INVALID_REQUEST', message));
          });
          return;
        }
        let buffer = '';
        // A character split across two chunks is decoded whole.
        const decoder = new StringDecoder('utf8');
        res.on('data', (chunk: Buffer) => {
          buffer += decoder.write(chunk);
          if (buffer.length > MAX_EVENT_BYTES && !buffer.includes('\n')) return finish(new CoreFault(`${describe(target, call)} sent an event line over ${MAX_EVENT_BYTES} bytes`));
          let newline: number;
          while (!settled && (newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (!line.startsWith('data:')) continue;
            // Only a whole event is progress: bytes dripped one by one, or blank lines, do not keep the request alive.
            arm();
            const data = line.slice(5).trim();
            if (data === '[DONE]') return finish(null);
            let event: unknown;
            try {
              event = JSON.parse(data);
            } catch {
              return finish(new CoreFault(`${describe(target, call)} sent an event that is not JSON`));
            }
            try {
              if (onEvent(event)) return finish(null);
            } catch (error) {
              return finish(error as Error);
            }
          }
        });
        res.on('end', () => finish(null));
        res.on('close', () => {
          if (!res.complete) finish(new CoreFault(`${describe(target, call)} closed the stream before its end`));
        });
      },
      (error) => finish(faultOf(target, call, error)),
    );
    if (call.signal?.aborted) onAbort();
  });
}
