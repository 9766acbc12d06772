import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { Kernel } from '../kernel/index.js';
import { startKernelServer, type KernelServer, type KernelServerOptions } from '../server/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';

/** A real kernel (no model: the front door does not need one) behind a real `startKernelServer`. */
export interface Served {
  kernel: Kernel;
  server: KernelServer;
  port: number;
  /** What the server logged (failed requests, cut-off clients). */
  logs: string[];
  dispose(): Promise<void>;
}

export async function serveKernel(options: Pick<KernelServerOptions, 'limits'> = {}): Promise<Served> {
  const data = tempDir('amk-hostile-');
  const renderer = tempDir('amk-renderer-');
  const kernel = await bootTestKernel(data.path, { modelPath: null });
  const logs: string[] = [];
  const server = await startKernelServer({ kernel, port: 0, rendererDir: renderer.path, log: (line) => logs.push(line), ...options });
  return {
    kernel,
    server,
    port: Number(new URL(server.url).port),
    logs,
    async dispose() {
      await server.close();
      await kernel.dispose();
      data.dispose();
      renderer.dispose();
    },
  };
}

export interface RawReply {
  /** The status of the first reply line, or null when the server closed without one. */
  status: number | null;
  /** Everything the server sent. */
  text: string;
}

/** Sends bytes on a plain TCP connection and collects what comes back until the server closes it. */
export function rawExchange(port: number, bytes: string | Buffer, afterWrite?: (socket: Socket) => void): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : null, text });
    });
    socket.write(bytes, () => afterWrite?.(socket));
  });
}

/** A GET with the given target and headers, asking the server to close afterwards. */
export function rawGet(port: number, target: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const lines = Object.entries({ host: `127.0.0.1:${port}`, connection: 'close', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  return rawExchange(port, Buffer.from(`GET ${target} HTTP/1.1\r\n${lines.join('')}\r\n`, 'latin1'));
}

/** The headers of a WebSocket upgrade request (the key is any 16 bytes in base64). */
export function upgradeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...extra };
}

/** An authenticated API socket, resolved once open. */
export function openApi(served: Served, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${served.port}/api`, { ...options, headers: { authorization: `Bearer ${served.server.token}`, ...options.headers } });
    ws.on('error', reject);
    ws.once('unexpected-response', (_request, response) => reject(new Error(`refused with HTTP ${response.statusCode}`)));
    ws.once('open', () => resolve(ws));
  });
}

/** The reply to request `id` on an open API socket. */
export function replyTo(ws: WebSocket, id: number | null, send?: string | Buffer): Promise<{ kind: string; id?: number | null; result?: unknown; error?: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(String(data)) as { kind: string; id?: number | null };
      if (message.kind === 'event' || message.id !== id) return;
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(message);
    };
    const onClose = (code: number): void => reject(new Error(`the socket closed (${code}) before the reply to ${id}`));
    ws.on('message', onMessage);
    ws.once('close', onClose);
    if (send !== undefined) ws.send(send);
  });
}

let nextId = 1_000_000;

/** The server still works: a fresh authenticated client gets its `kernel.info`. */
export async function stillAnswers(served: Served): Promise<void> {
  const ws = await openApi(served);
  try {
    const id = nextId++;
    const reply = await replyTo(ws, id, JSON.stringify({ id, method: 'kernel.info', params: {} }));
    if (reply.kind !== 'result' || (reply.result as { version?: unknown }).version !== 'test') throw new Error(`kernel.info answered ${JSON.stringify(reply).slice(0, 300)}`);
  } finally {
    ws.close();
  }
}

/** The close code the server ends a socket with. */
export function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}
