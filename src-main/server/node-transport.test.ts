import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_SOCKET_PATH, API_SUBPROTOCOL, KernelCallError } from '../../src-shared/index.js';
import { connectKernel } from './node-transport.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A WebSocket server on loopback that answers each call with `answer(id)`: a kernel that speaks badly. */
async function badKernel(answer: (id: number, socket: WebSocket) => void): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: API_SOCKET_PATH, handleProtocols: () => API_SUBPROTOCOL });
  server.on('error', () => {});
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('message', (data) => answer((JSON.parse(String(data)) as { id: number }).id, socket));
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the Node client over a WebSocket', () => {
  it('reports messages it cannot read, fails a call whose reply it cannot read, and goes on', async () => {
    const url = await badKernel((id, socket) => {
      socket.send('not json at all');
      socket.send(JSON.stringify({ kind: 'event', event: { type: 'no.such.event' } }));
      socket.send(JSON.stringify({ kind: 'result', id: 999, result: {} }));
      // The first call's reply has its id but not the contract's shape; the second one's is good.
      socket.send(id === 1 ? JSON.stringify({ kind: 'resul', id }) : JSON.stringify({ kind: 'result', id, result: { reaped: [3] } }));
    });
    const reasons: string[] = [];
    const client = await connectKernel(url, 'token', { onUnreadable: (reason) => reasons.push(reason) });
    cleanups.push(() => client.close());
    const first = client.call('proc.reap', {});
    await expect(first).rejects.toBeInstanceOf(KernelCallError);
    await expect(first).rejects.toThrow("the kernel's reply to proc.reap is not a message of the contract");
    expect(await client.call('proc.reap', {})).toEqual({ reaped: [3] });
    expect(reasons.filter((reason) => reason.includes('not JSON'))).toHaveLength(2);
    expect(reasons.filter((reason) => reason.includes('does not match the contract'))).toHaveLength(2);
    expect(reasons.filter((reason) => reason.includes('a reply to no call'))).toHaveLength(2);
  });
});
