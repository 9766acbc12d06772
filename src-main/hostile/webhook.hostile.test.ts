import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookListener } from '../kernel/interrupts/index.js';
import { expectNoUncaughtExceptions } from './no-uncaught.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// These attacks must be refused by the boundary itself, never by the last-resort handler.
expectNoUncaughtExceptions();

async function listen(bodyTimeoutMs?: number): Promise<{ webhook: WebhookListener; fired: string[]; port: number }> {
  const webhook = new WebhookListener(bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs });
  await webhook.start(0);
  cleanups.push(() => webhook.dispose());
  const fired: string[] = [];
  webhook.arm('alerts', (detail) => fired.push(detail));
  return { webhook, fired, port: Number(new URL(webhook.url!).port) };
}

/** The kernel still takes a valid webhook: the proof that the attack before it broke nothing. */
async function stillServes(webhook: WebhookListener, fired: string[]): Promise<void> {
  const response = await fetch(`${webhook.url}/hooks/alerts`, { method: 'POST', body: 'disk almost full', headers: { authorization: `Bearer ${webhook.token}` } });
  expect(response.status).toBe(202);
  expect(fired.at(-1)).toBe('webhook alerts: disk almost full');
}

/** A raw connection that records what comes back and when it closes; errors (a reset) are expected. */
function raw(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

function head(token: string | Buffer, extra: string): Buffer {
  return Buffer.concat([Buffer.from('POST /hooks/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ', 'latin1'), Buffer.from(token), Buffer.from(`\r\n${extra}\r\n`, 'latin1')]);
}

describe('the webhook listener against hostile clients', () => {
  it('a token of the right length in characters but not in bytes is refused, not a crash', async () => {
    const { webhook, fired, port } = await listen();
    // 47 ASCII characters and one byte 0xE9: 48 characters as Node reads the header, 49 bytes in UTF-8.
    const token = Buffer.concat([Buffer.from('a'.repeat(47), 'latin1'), Buffer.from([0xe9])]);
    const client = raw(port);
    client.socket.write(head(token, 'Content-Length: 2\r\n\r\nhi'));
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(fired).toEqual([]);
    await stillServes(webhook, fired);
  });

  it('a body over 64 KiB is cut off at the limit with 413, never read to its end', async () => {
    const { webhook, fired, port } = await listen();
    // Declared: refused before a byte of it is read.
    const declared = raw(port);
    declared.socket.write(head(webhook.token, `Content-Length: ${500 * 1024 * 1024}\r\n`));
    await declared.closed;
    expect(declared.received()).toMatch(/^HTTP\/1\.1 413 [\s\S]*body over 64 KiB/);

    // Chunked, 128 KiB sent and the body left open: the answer comes at the limit, not at the end.
    const open = raw(port);
    const part = Buffer.alloc(128 * 1024, 0x61);
    open.socket.write(Buffer.concat([head(webhook.token, 'Transfer-Encoding: chunked\r\n'), Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]));
    await open.closed;
    expect(open.received()).toMatch(/^HTTP\/1\.1 413 /);

    // Hundreds of MB pushed as fast as the socket takes them: the listener closes the connection long before.
    const flood = raw(port);
    const total = 256 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let written = 0;
    let closed = false;
    void flood.closed.then(() => (closed = true));
    flood.socket.write(head(webhook.token, 'Transfer-Encoding: chunked\r\n'));
    const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    while (!closed && written < total) {
      written += chunk.length;
      if (!flood.socket.write(framed)) await Promise.race([once(flood.socket, 'drain').catch(() => undefined), flood.closed]);
    }
    await flood.closed;
    expect(written).toBeLessThan(total);
    expect(fired).toEqual([]);
    await stillServes(webhook, fired);
  });

  it('a body trickled byte by byte is cut off by the body timeout', async () => {
    const { webhook, fired, port } = await listen(200);
    const slow = raw(port);
    slow.socket.write(head(webhook.token, 'Content-Length: 100\r\n\r\nx'));
    await slow.closed;
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 [\s\S]*body not received within 200 ms/);
    expect(fired).toEqual([]);
    await stillServes(webhook, fired);
  });

  it('a client that resets in the middle of its body breaks nothing', async () => {
    const { webhook, fired, port } = await listen();
    for (let round = 0; round < 5; round++) {
      const client = raw(port);
      // Reset once the request and part of its body are on the wire, not before.
      await new Promise<void>((resolve) => client.socket.write(head(webhook.token, 'Content-Length: 1000\r\n\r\npartial body'), () => resolve()));
      client.socket.resetAndDestroy();
      await client.closed;
    }
    expect(fired).toEqual([]);
    await stillServes(webhook, fired);
  });
});
