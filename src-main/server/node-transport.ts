import WebSocket from 'ws';
import type { KernelClient, MessageTransport } from '../../src-shared/index.js';
import { createKernelClient } from '../../src-shared/index.js';

/** Connects to `amk serve` from Node (the CLI, tests); rejects with the server's reason on refusal. */
export function connectKernel(url: string, token: string): Promise<KernelClient> {
  const wsUrl = `${url.replace(/^http/, 'ws')}/api?token=${encodeURIComponent(token)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    ws.once('unexpected-response', (_request, response) => {
      reject(new Error(`the kernel refused the connection: HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim()));
      ws.terminate();
    });
    ws.once('error', (error) => reject(new Error(`cannot reach the kernel at ${url}: ${error.message}`)));
    ws.once('open', () => {
      const transport: MessageTransport = {
        send: (text) => ws.send(text),
        onMessage: (handler) => ws.on('message', (data) => handler(String(data))),
        onClose: (handler) => ws.on('close', (code, reason) => handler(`${code} ${String(reason)}`.trim())),
        close: () => ws.close(),
      };
      resolve(createKernelClient(transport));
    });
  });
}
