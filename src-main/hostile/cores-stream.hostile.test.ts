import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { callStream, CoreFault, DEFAULT_REMOTE_LIMITS, type RemoteTarget } from '../kernel/cores/index.js';
import { KernelError } from '../kernel/index.js';
import { expectNoUncaughtExceptions } from './no-uncaught.js';

expectNoUncaughtExceptions();

/**
 * A remote engine's stream, attacked below the pool: what `callStream` (every generation on a
 * remote core) does with a redirect, a rate limit, a drip of bytes and a character split across
 * packets. Each test ends with a valid stream from the same client, answered whole.
 */
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function engine(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    res.on('error', () => {});
    req.resume();
    req.on('end', () => handler(req, res));
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const TOKEN = 'sk-stream-hostile-secret';
const target = (url: string): RemoteTarget => ({ base: new URL(url), token: TOKEN, limits: { ...DEFAULT_REMOTE_LIMITS, requestMs: 2_000, idleMs: 400 } });

/** The next valid request: an honest stream read to its end. */
async function stillStreams(): Promise<void> {
  const honest = await engine((_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {"content":"ok"}\n\ndata: [DONE]\n\n'));
  const seen: unknown[] = [];
  await callStream(target(honest.url), { method: 'POST', path: '/completion', body: {} }, (event) => (seen.push(event), false));
  expect(seen).toEqual([{ content: 'ok' }]);
}

describe('a remote engine\'s generation stream, attacked', () => {
  it('a redirect to another host: not followed (the token stays home) and the core is at fault, not the agent\'s request', async () => {
    const elsewhere = await engine((_req, res) => res.writeHead(200).end('data: {"content":"stolen"}\n\n'));
    const redirecting = await engine((_req, res) => res.writeHead(307, { location: `${elsewhere.url}/completion` }).end());
    const failure = await callStream(target(redirecting.url), { method: 'POST', path: '/completion', body: {} }, () => false).catch((error: unknown) => error);
    // CORE_UNAVAILABLE: the pool marks the core down and the step is generated again elsewhere (a 4xx would crash the agent).
    expect(failure).toBeInstanceOf(CoreFault);
    expect((failure as Error).message).toMatch(/answered 307/);
    expect(elsewhere.seen).toHaveLength(0);
    expect(redirecting.seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    await stillStreams();
  });

  it('a rate limit (429), refused credentials (401) or a context the core does not have: the core\'s fault, so agents move instead of crashing', async () => {
    // …and llama-server's 400 for a context its /props promised (n_ctx lied about, or the server restarted smaller).
    const answers: [number, string][] = [
      [429, `{"error":"slow down, your token ${TOKEN}"}`],
      [401, `{"error":"bad token ${TOKEN}"}`],
      [400, '{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}'],
    ];
    for (const [status, text] of answers) {
      const limited = await engine((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(text));
      const failure = await callStream(target(limited.url), { method: 'POST', path: '/v1/chat/completions', body: {} }, () => false).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(CoreFault);
      expect((failure as Error).message).toContain(`answered ${status}`);
      expect((failure as Error).message).not.toContain(TOKEN);
    }
    // A plain bad request stays the request's own error.
    const picky = await engine((_req, res) => res.writeHead(400).end('{"error":"bad grammar"}'));
    const failure = await callStream(target(picky.url), { method: 'POST', path: '/completion', body: {} }, () => false).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KernelError);
    expect((failure as KernelError).code).toBe('INVALID_REQUEST');
    await stillStreams();
  });

  it('keep-alive lines, then one byte at a time, forever: given up on once no whole event came within the idle limit', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const drip = await engine((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Keep-alive lines, then the bytes of an event that never ends: each write sooner than the idle limit.
      let writes = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        writes++;
        res.write(writes < 5 ? ': keep-alive\n\n' : writes === 5 ? 'data: {"content":"' : 'x');
      }, 50);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    });
    const events: unknown[] = [];
    const failure = await callStream(target(drip.url), { method: 'POST', path: '/completion', body: {} }, (event) => (events.push(event), false)).catch((error: unknown) => error);
    for (const timer of timers) clearInterval(timer);
    expect(failure).toBeInstanceOf(CoreFault);
    expect((failure as Error).message).toMatch(/sent no event for 400 ms/);
    await stillStreams();
  });

  it('a character split across two packets is read whole, not as two replacement characters', async () => {
    // "é" is two bytes: the first goes with one event, the second with the next write.
    const e = Buffer.from('é', 'utf8');
    let second: (() => void) | null = null;
    const split = await engine((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(Buffer.concat([Buffer.from('data: {"content":"a"}\n\ndata: {"content":"', 'utf8'), e.subarray(0, 1)]));
      second = () => res.end(Buffer.concat([e.subarray(1), Buffer.from('"}\n\ndata: [DONE]\n\n', 'utf8')]));
    });
    const seen: unknown[] = [];
    await callStream(target(split.url), { method: 'POST', path: '/completion', body: {} }, (event) => {
      seen.push(event);
      // The rest is sent only once the first event (read with the half character) was handled.
      if (seen.length === 1) second!();
      return false;
    });
    expect(seen).toEqual([{ content: 'a' }, { content: 'é' }]);
    await stillStreams();
  });
});
