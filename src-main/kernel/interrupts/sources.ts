import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, watch } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { InterruptTrigger } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';
import { parseCron } from './cron.js';

/** What a source hands the controller when it fires: a line describing the event. */
export type Fire = (detail: string) => void;

export function armTimer(trigger: Extract<InterruptTrigger, { source: 'timer' }>, fire: Fire): Disposable {
  if (trigger.everyMs !== undefined) {
    const timer = setInterval(() => fire(`timer every ${trigger.everyMs} ms at ${new Date().toISOString()}`), trigger.everyMs);
    timer.unref();
    return { dispose: () => clearInterval(timer) };
  }
  if (!trigger.cron) throw new Error('a timer trigger needs everyMs or cron');
  const schedule = parseCron(trigger.cron);
  let timer: NodeJS.Timeout | undefined;
  const plan = (): void => {
    const next = schedule.next(new Date());
    timer = setTimeout(() => {
      fire(`cron "${schedule.source}" at ${new Date().toISOString()}`);
      plan();
    }, Math.max(0, next.getTime() - Date.now()));
    timer.unref();
  };
  plan();
  return { dispose: () => clearTimeout(timer) };
}

/** Fires once per file that appears in the folder (a drop, a save, a move in). */
export function armFolder(trigger: Extract<InterruptTrigger, { source: 'folder' }>, fire: Fire): Disposable {
  const folder = trigger.path.startsWith('~/') ? join(homedir(), trigger.path.slice(2)) : trigger.path;
  if (!existsSync(folder)) throw new Error(`watched folder ${folder} does not exist`);
  const recent = new Map<string, number>();
  const watcher = watch(folder, { persistent: false }, (_event, name) => {
    if (!name) return;
    const file = join(folder, name.toString());
    if (!existsSync(file)) return;
    // One file write raises several OS events; one interrupt per file per second.
    const now = Date.now();
    if (now - (recent.get(file) ?? 0) < 1000) return;
    recent.set(file, now);
    fire(`file ${file} appeared in ${folder}`);
  });
  return { dispose: () => watcher.close() };
}

export interface WebhookOptions {
  /** A body must arrive whole within this long after its headers (a trickled body holds a socket). */
  bodyTimeoutMs?: number;
}

const MAX_BODY_BYTES = 64 * 1024;
/** The names a local caller uses for this listener (any port, or none): DNS rebinding sends its own name. */
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;
const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** Fixed-length digests, so comparing never depends on (nor throws on) what length was offered. */
const digestOf = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The webhook source: `POST /hooks/ROUTE` on loopback with `Authorization: Bearer TOKEN`.
 * One listener serves every route; routes are added and removed as bindings come and go.
 * Its bytes come from anything on the machine: the token is compared as a digest, the body is
 * capped while it streams (64 KiB) and timed, and every refusal closes the connection.
 */
export class WebhookListener implements Disposable {
  readonly token = randomBytes(24).toString('hex');
  private readonly tokenDigest = digestOf(this.token);
  private readonly routes = new Map<string, Set<Fire>>();
  private server: Server | null = null;
  private address: string | null = null;

  constructor(private readonly options: WebhookOptions = {}) {}

  get url(): string | null {
    return this.address;
  }

  async start(port = 0): Promise<void> {
    if (this.server) return;
    // Node's own limits on the header phase; the body has its own timer below.
    const server = createServer({ headersTimeout: 10_000, requestTimeout: 60_000, maxHeaderSize: 16 * 1024 }, (request, response) => this.serve(request, response));
    server.maxConnections = 256;
    // A malformed request or a reset socket: Node has already answered or dropped it.
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    server.on('error', (error) => console.error(`amk: webhook listener: ${error.message}`));
    this.server = server;
    this.address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    // A client that resets mid-body fails these streams; there is nobody left to answer.
    request.on('error', () => {});
    response.on('error', () => {});
    // Every refusal closes the connection: whatever is left of the body is never read.
    const refuse = (status: number, text: string): void => void response.writeHead(status, { connection: 'close', 'content-type': 'text/plain' }).end(text);
    // A page on evil.example whose name now resolves to 127.0.0.1 is refused before the token is looked at.
    if (!LOOPBACK_HOST.test(request.headers.host ?? '')) return refuse(421, 'this listener answers only to Host 127.0.0.1, localhost or [::1]\n');
    const match = /^\/hooks\/([a-z0-9-]+)$/.exec(request.url ?? '');
    const header = request.headers.authorization;
    const offered = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!timingSafeEqual(digestOf(offered), this.tokenDigest)) return refuse(401, 'unauthorized\n');
    if (request.method !== 'POST' || !match) return refuse(404, 'POST /hooks/ROUTE\n');
    const route = match[1]!;
    const handlers = this.routes.get(route);
    if (!handlers || handlers.size === 0) return refuse(404, `no handler bound to ${route}\n`);
    if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return refuse(413, 'body over 64 KiB\n');
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      request.off('data', onData);
      return true;
    };
    const stop = (status: number, text: string): void => {
      if (settle()) refuse(status, text);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return stop(413, 'body over 64 KiB\n');
      chunks.push(chunk);
    };
    const timeoutMs = this.options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
    const timer = setTimeout(() => stop(408, `body not received within ${timeoutMs} ms\n`), timeoutMs);
    timer.unref();
    request.on('data', onData);
    request.on('close', () => void settle());
    request.on('end', () => {
      if (!settle()) return;
      const body = Buffer.concat(chunks).toString('utf8');
      for (const fire of handlers) fire(`webhook ${route}: ${body.slice(0, 2000)}`);
      response.writeHead(202).end('accepted\n');
    });
  }

  arm(route: string, fire: Fire): Disposable {
    const handlers = this.routes.get(route) ?? new Set<Fire>();
    handlers.add(fire);
    this.routes.set(route, handlers);
    return { dispose: () => void handlers.delete(fire) };
  }

  async dispose(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
