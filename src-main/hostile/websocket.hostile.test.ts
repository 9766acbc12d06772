import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectKernel } from '../server/index.js';
import { closeCode, openApi, rawGet, replyTo, serveKernel, stillAnswers, upgradeHeaders, type Served } from './front-door-fixture.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function served(): Promise<Served> {
  const kernel = await serveKernel();
  cleanups.push(() => kernel.dispose());
  return kernel;
}

/** An upgrade request with a wrong token whose client resets the connection, at the moment `when` says. */
function resetUpgrade(port: number, when: 'after-sending' | 'after-the-refusal'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (when === 'after-the-refusal') socket.resetAndDestroy();
    });
    const headers = Object.entries({ host: `127.0.0.1:${port}`, ...upgradeHeaders({ authorization: 'Bearer wrong' }) }).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`GET /api HTTP/1.1\r\n${headers.join('')}\r\n`, () => {
      if (when === 'after-sending') socket.resetAndDestroy();
    });
  });
}

describe('the WebSocket front door of amk serve', () => {
  it('survives clients that reset the connection while being refused', async () => {
    const kernel = await served();
    for (let i = 0; i < 5; i++) {
      expect(await resetUpgrade(kernel.port, 'after-the-refusal')).toMatch(/^HTTP\/1\.1 401/);
      await resetUpgrade(kernel.port, 'after-sending');
    }
    await stillAnswers(kernel);
  });

  it('closes a connection that sends a frame over the size limit (1009) or invalid UTF-8 (1007); other clients go on', async () => {
    const kernel = await served();
    const bystander = await openApi(kernel);
    cleanups.push(() => bystander.close());

    const big = await openApi(kernel);
    const bigClosed = closeCode(big);
    big.send('x'.repeat(5 * 1024 * 1024));
    expect(await bigClosed).toBe(1009);

    const garbled = await openApi(kernel);
    const garbledClosed = closeCode(garbled);
    garbled.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await garbledClosed).toBe(1007);

    expect(await replyTo(bystander, 1, JSON.stringify({ id: 1, method: 'proc.list', params: {} }))).toMatchObject({ kind: 'result', result: [] });
    expect(kernel.logs.join('\n')).toMatch(/cut off/);
    await stillAnswers(kernel);
  });

  it('answers malformed and too deeply nested messages with a clear INVALID_REQUEST, and keeps the connection', async () => {
    const kernel = await served();
    const ws = await openApi(kernel);
    cleanups.push(() => ws.close());
    const deep = (levels: number): string => `{"id":5,"method":"proc.list","params":{"x":${'['.repeat(levels - 2)}${']'.repeat(levels - 2)}}}`;
    expect(await replyTo(ws, null, deep(100_000))).toMatchObject({ kind: 'error', error: { code: 'INVALID_REQUEST', message: 'the request nests deeper than 64 levels' } });
    expect(await replyTo(ws, null, deep(65))).toMatchObject({ error: { message: expect.stringContaining('deeper than 64') } });
    // At the limit, the message goes on to the method, which answers it by its id.
    expect((await replyTo(ws, 5, deep(64))).error?.message ?? '').not.toContain('deeper');
    // Brackets inside strings are text, not nesting.
    expect(await replyTo(ws, 6, JSON.stringify({ id: 6, method: 'proc.list', params: {}, note: '['.repeat(100) }))).toMatchObject({ error: { message: expect.stringContaining('note') } });
    expect(await replyTo(ws, 7, '{"id":7,"method":3}')).toMatchObject({ kind: 'error', id: 7, error: { code: 'INVALID_REQUEST', message: expect.stringContaining('method') } });
    expect(await replyTo(ws, null, 'not json')).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('not JSON') } });
    const binary = replyTo(ws, null);
    ws.send(Buffer.from('{"id":8,"method":"proc.list"}'), { binary: true });
    expect(await binary).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('text frames') } });
    expect(await replyTo(ws, 9, JSON.stringify({ id: 9, method: 'proc.list', params: {} }))).toMatchObject({ kind: 'result' });
  });

  it('takes the token from Authorization or the amk.token subprotocol, never from the address, and never echoes it', async () => {
    const kernel = await served();
    const { token } = kernel.server;
    const base = `ws://127.0.0.1:${kernel.port}/api`;
    const inQuery = await rawGet(kernel.port, `/api?token=${token}`, upgradeHeaders());
    expect(inQuery.status).toBe(400);
    expect(inQuery.text).toContain('the token never goes in the address');

    // As a browser does it: the token offered as a subprotocol beside amk.v1; only amk.v1 comes back.
    const browser = new WebSocket(base, ['amk.v1', `amk.token.${token}`]);
    browser.on('error', () => {});
    let selected: string | undefined;
    browser.once('upgrade', (response) => (selected = response.headers['sec-websocket-protocol']));
    await new Promise((resolve) => browser.once('open', resolve));
    expect(selected).toBe('amk.v1');
    expect(await replyTo(browser, 1, JSON.stringify({ id: 1, method: 'proc.list', params: {} }))).toMatchObject({ kind: 'result' });
    browser.close();

    expect((await rawGet(kernel.port, '/api', upgradeHeaders({ 'sec-websocket-protocol': 'amk.v1, amk.token.wrong' }))).status).toBe(401);
    await expect(connectKernel(kernel.server.url, 'wrong')).rejects.toThrow(/HTTP 401 Unauthorized: .*Authorization: Bearer/);
    const client = await connectKernel(kernel.server.url, token);
    expect(await client.call('proc.list', {})).toEqual([]);
    client.close();
    expect(kernel.server.openUrl).toBe(`${kernel.server.url}/#token=${token}`);
    await stillAnswers(kernel);
  });
});
