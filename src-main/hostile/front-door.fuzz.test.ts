import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { fuzzParameters } from './fuzz-settings.js';
import { openApi, rawExchange, replyTo, serveKernel, stillAnswers, upgradeHeaders, type Served } from './front-door-fixture.js';

let kernel: Served;
beforeAll(async () => {
  kernel = await serveKernel();
});
afterAll(() => kernel.dispose());

/** Bytes a client can put in a request line or header value (anything but CR and LF, which end it). */
const lineBytes = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).filter((b) => b !== 10 && b !== 13).map((b) => String.fromCharCode(b)), maxLength });

const percentGarbage = fc
  .array(fc.constantFrom('%', '%2', '%zz', '%E0', '%A4%A', '%C0%AF', '%00', '%2e%2e', '/', '..', 'a', 'é', '\u{1F600}', '?', '#', '\\', '%25'), { maxLength: 40 })
  .map((parts) => `/${parts.join('')}`);

const path = fc.oneof(
  percentGarbage,
  fc.webPath(),
  fc.string({ unit: 'grapheme', maxLength: 60 }).map((text) => `/${text}`),
  fc.string({ minLength: 3_000, maxLength: 9_000 }).map((text) => `/${encodeURIComponent(text)}`),
  lineBytes(200),
);

/** The status the server answered with; a request line Node cannot parse is answered 400 by Node itself. */
async function statusOf(target: string, headers: Record<string, string>): Promise<number | null> {
  const lines = Object.entries({ connection: 'close', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  return (await rawExchange(kernel.port, Buffer.from(`GET ${target} HTTP/1.1\r\n${lines.join('')}\r\n`, 'latin1'))).status;
}

describe('fuzzing the front door of amk serve', () => {
  it('answers any request target with a status, never a failure, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(path, async (target) => {
        const status = await statusOf(target, { host: `127.0.0.1:${kernel.port}` });
        expect([200, 400, 404, 414, 431, 503]).toContain(status);
      }),
      fuzzParameters(150),
    );
    await stillAnswers(kernel);
  });

  it('refuses any Host, Origin and Authorization it does not know, on every route', async () => {
    const route = fc.constantFrom('/', '/mcp', '/models/upload?name=a.gguf', '/api');
    const header = fc.oneof(lineBytes(100), fc.constantFrom(`127.0.0.1:${kernel.port}`, `localhost:${kernel.port}`, 'evil.example', `http://127.0.0.1:${kernel.port}`));
    await fc.assert(
      fc.asyncProperty(route, header, header, lineBytes(120), async (target, host, origin, authorization) => {
        const headers = { host, origin, authorization, ...(target === '/api' ? upgradeHeaders() : {}) };
        const status = await statusOf(target, headers);
        // Whatever the bytes, nobody gets in without the token, and nothing fails on the server.
        expect(status).not.toBeNull();
        expect([101, 200, 201, 500]).not.toContain(status);
      }),
      fuzzParameters(150),
    );
    await stillAnswers(kernel);
  });

  it('answers any wire message over an authenticated socket with a reply, never a dropped connection', async () => {
    const ws: WebSocket = await openApi(kernel);
    const readOnly = fc.constantFrom('kernel.info', 'proc.list', 'proc.get', 'proc.transcript', 'gallery.list', 'models.list');
    const request = fc.record({ id: fc.nat(999_999), method: fc.oneof(readOnly, fc.string()), params: fc.jsonValue({ maxDepth: 4 }) });
    const message = fc.oneof(
      request.map((value) => JSON.stringify(value)),
      fc.json({ maxDepth: 4 }),
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((value) => `${JSON.stringify(value)}}`),
      fc.nat(200).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    );
    let probe = 0;
    try {
      await fc.assert(
        fc.asyncProperty(message, async (text) => {
          ws.send(text);
          // Replies come in order of completion; a probe right behind the message proves the line is still open.
          const id = 2_000_000 + probe++;
          expect(await replyTo(ws, id, JSON.stringify({ id, method: 'proc.list', params: {} }))).toMatchObject({ kind: 'result' });
        }),
        fuzzParameters(200),
      );
    } finally {
      ws.close();
    }
    await stillAnswers(kernel);
  });
});
