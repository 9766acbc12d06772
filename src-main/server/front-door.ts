import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../../src-shared/index.js';
import { TOKEN_SUBPROTOCOL_PREFIX } from '../../src-shared/index.js';

/**
 * The checks every request to `amk serve` passes before any route sees it: a sane request target,
 * a Host that names this server (DNS rebinding), an Origin that is this server's, and the token.
 * Each check answers a refusal with a status and a reason, or null when it holds.
 */
export interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
}

/** The limits of Node's HTTP parser and timers for this server (see `startKernelServer`). */
export interface HttpLimits {
  /** A client must send its whole header block within this (slowloris). */
  headersTimeoutMs: number;
  /** A client must send its whole request, body included, within this: long enough for a large GGUF upload. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Bytes of request line and headers together. */
  maxHeaderSize: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60 * 60_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderSize: 16 * 1024,
};

/** Longer request targets are refused before anything parses them (a path here is a few dozen bytes). */
export const MAX_TARGET_LENGTH = 4096;


export interface RequestTarget {
  /** The decoded path, always starting with '/'. */
  path: string;
  query: URLSearchParams;
}

/** The request target in origin-form (`/path?query`), decoded once; anything else is a refusal. */
export function parseTarget(raw: string | undefined): RequestTarget | Refusal {
  if (raw === undefined || raw.length === 0) return { status: 400, code: 'INVALID_REQUEST', message: 'the request has no target path' };
  if (raw.length > MAX_TARGET_LENGTH) return { status: 414, code: 'INVALID_REQUEST', message: `the request target is longer than ${MAX_TARGET_LENGTH} characters` };
  if (!raw.startsWith('/')) return { status: 400, code: 'INVALID_REQUEST', message: 'the request target must be a path starting with "/"' };
  const queryAt = raw.indexOf('?');
  const rawPath = queryAt === -1 ? raw : raw.slice(0, queryAt);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, code: 'INVALID_REQUEST', message: 'the request path has malformed percent-encoding' };
  }
  if (path.includes('\0')) return { status: 400, code: 'INVALID_REQUEST', message: 'the request path contains a NUL character' };
  // Parsed against a fixed origin with the raw target appended, so `//host/x` stays a path.
  const query = new URL(`http://localhost${raw}`).searchParams;
  return { path, query };
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'status' in value && 'code' in value;
}

/** The names a legitimate client of this server uses: the loopback names and the bound address, with the port. */
export function allowedHosts(boundHost: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]', boundHost.includes(':') ? `[${boundHost}]` : boundHost];
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${port}`.toLowerCase());
    if (port === 80) hosts.add(name.toLowerCase());
  }
  return hosts;
}

/**
 * DNS rebinding: a page on evil.example can point its name at 127.0.0.1 and then talk to this port
 * as "its own origin"; the Host header still says evil.example, so it is refused before anything else.
 */
export function hostRefusal(request: IncomingMessage, hosts: ReadonlySet<string>): Refusal | null {
  const host = request.headers.host;
  if (host === undefined || host === '') return { status: 400, code: 'INVALID_REQUEST', message: 'the request has no Host header' };
  if (hosts.has(host.toLowerCase())) return null;
  return { status: 421, code: 'FORBIDDEN_ORIGIN', message: `this kernel answers only to ${[...hosts][0]} and the other loopback names, not Host ${printable(host)}` };
}

/** Browsers always send Origin: a page from anywhere else must not drive the kernel. */
export function originRefusal(request: IncomingMessage, origins: ReadonlySet<string>): Refusal | null {
  const origin = request.headers.origin;
  if (origin === undefined || origins.has(origin.toLowerCase())) return null;
  return { status: 403, code: 'FORBIDDEN_ORIGIN', message: `a page from ${printable(origin)} may not use this kernel` };
}

/** The origins of pages this server served itself. */
export function allowedOrigins(hosts: ReadonlySet<string>): Set<string> {
  return new Set([...hosts].map((host) => `http://${host}`));
}

/** The bearer token of an `Authorization` header, else null. */
export function bearerToken(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
}

/** The token a WebSocket client offered: the Authorization header (Node), else an `amk.token.*` subprotocol (browsers). */
export function offeredApiToken(request: IncomingMessage): string | null {
  const bearer = bearerToken(request);
  if (bearer !== null) return bearer;
  const protocols = request.headers['sec-websocket-protocol'];
  if (typeof protocols !== 'string') return null;
  for (const protocol of protocols.split(',')) {
    const trimmed = protocol.trim();
    if (trimmed.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return trimmed.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return null;
}

/** Compares secrets as fixed-length digests, so neither the length nor a prefix of the token leaks through timing. */
export function sameToken(offered: string, token: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(offered), digest(token));
}

/** A header value for a message: bounded and printable, whatever bytes the client sent. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 80 ? `${clean.slice(0, 80)}…` : clean);
}
