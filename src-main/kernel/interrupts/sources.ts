import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, watch } from 'node:fs';
import { createServer, type Server } from 'node:http';
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

/**
 * The webhook source: `POST /hooks/ROUTE` on loopback with `Authorization: Bearer TOKEN`.
 * One listener serves every route; routes are added and removed as bindings come and go.
 */
export class WebhookListener implements Disposable {
  readonly token = randomBytes(24).toString('hex');
  private readonly routes = new Map<string, Set<Fire>>();
  private server: Server | null = null;
  private address: string | null = null;

  get url(): string | null {
    return this.address;
  }

  async start(port = 0): Promise<void> {
    if (this.server) return;
    const server = createServer((request, response) => {
      const match = /^\/hooks\/([a-z0-9-]+)$/.exec(request.url ?? '');
      const offered = request.headers.authorization?.startsWith('Bearer ') ? request.headers.authorization.slice(7) : '';
      const authorized = offered.length === this.token.length && timingSafeEqual(Buffer.from(offered), Buffer.from(this.token));
      if (!authorized) return void response.writeHead(401).end('unauthorized\n');
      if (request.method !== 'POST' || !match) return void response.writeHead(404).end('POST /hooks/ROUTE\n');
      const handlers = this.routes.get(match[1]!);
      if (!handlers || handlers.size === 0) return void response.writeHead(404).end(`no handler bound to ${match[1]}\n`);
      let body = '';
      let tooLarge = false;
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
        if (body.length > 64 * 1024) tooLarge = true;
      });
      request.on('end', () => {
        if (tooLarge) return void response.writeHead(413).end('body over 64 KiB\n');
        for (const fire of handlers) fire(`webhook ${match[1]}: ${body.slice(0, 2000)}`);
        response.writeHead(202).end('accepted\n');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
