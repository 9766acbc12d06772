import fc from 'fast-check';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelError } from '../kernel/index.js';
import { callJson, callStream, DEFAULT_REMOTE_LIMITS, type RemoteTarget } from '../kernel/cores/index.js';
import { fuzzParameters } from './fuzz-settings.js';
import { expectNoUncaughtExceptions } from './no-uncaught.js';

expectNoUncaughtExceptions();

/** What the fake engine answers next: a status and raw body bytes. */
let answer: { status: number; body: Buffer } = { status: 200, body: Buffer.alloc(0) };
let target: RemoteTarget;
let close: () => Promise<void>;

beforeAll(async () => {
  const server = createServer((req, res) => {
    res.on('error', () => {});
    req.resume();
    req.on('end', () => res.writeHead(answer.status, { 'content-type': 'text/event-stream' }).end(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  target = { base: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), token: 'sk-fuzz-secret', limits: { ...DEFAULT_REMOTE_LIMITS, requestMs: 5_000, idleMs: 5_000, maxBodyBytes: 4096 } };
  close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});

afterAll(() => close());

/** Server-sent events made of arbitrary lines, some of them `data:` lines with JSON or not. */
const sseBody = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((value) => `data: ${JSON.stringify(value)}`),
      fc.constant('data: [DONE]'),
      fc.string({ maxLength: 100 }).map((text) => `data: ${text}`),
    ),
    { maxLength: 30 },
  )
  .map((lines) => Buffer.from(lines.join('\n'), 'utf8'));

describe('a remote engine\'s answers, fuzzed', () => {
  it('any stream settles with its events or a KernelError, never a crash, never the token in a message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(200, 400, 404, 500, 503), sseBody, async (status, body) => {
        answer = { status, body };
        const seen: unknown[] = [];
        try {
          await callStream(target, { method: 'POST', path: '/completion', body: {} }, (event) => (seen.push(event), false));
          expect(status).toBe(200);
        } catch (error) {
          expect(error).toBeInstanceOf(KernelError);
          expect((error as Error).message).not.toContain('sk-fuzz-secret');
        }
      }),
      fuzzParameters(120),
    );
  });

  it('any short answer parses or is refused as a CORE_UNAVAILABLE or a request error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(200, 401, 500, 501), fc.uint8Array({ maxLength: 6000 }), async (status, bytes) => {
        answer = { status, body: Buffer.from(bytes) };
        try {
          const result = await callJson(target, { method: 'GET', path: '/props' });
          expect(result.status).toBe(status);
        } catch (error) {
          expect(error).toBeInstanceOf(KernelError);
          expect(['CORE_UNAVAILABLE', 'INVALID_REQUEST']).toContain((error as KernelError).code);
        }
      }),
      fuzzParameters(120),
    );
  });
});
