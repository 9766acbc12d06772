import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { KernelClient, KernelClientOptions, MessageTransport } from '../../src-shared/index.js';
import { API_SOCKET_PATH, API_SUBPROTOCOL, createKernelClient } from '../../src-shared/index.js';

/** The reason in a refusal's JSON body (`{ error: { message } }`), read up to a few KiB. */
function refusalReason(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (body.length < 4096) body += chunk;
    });
    response.on('error', () => resolve(''));
    response.on('end', () => {
      try {
        const message = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
        resolve(typeof message === 'string' ? message : '');
      } catch {
        resolve('');
      }
    });
  });
}

/**
 * Connects to `amk serve` from Node (the CLI, tests); rejects with the server's reason on refusal.
 * The token goes in the Authorization header, never in the address. A message the client cannot
 * read is reported on stderr (console.warn) unless `options.onUnreadable` takes it.
 */
export function connectKernel(url: string, token: string, options: KernelClientOptions = {}): Promise<KernelClient> {
  const wsUrl = `${url.replace(/^http/, 'ws')}${API_SOCKET_PATH}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, [API_SUBPROTOCOL], { headers: { authorization: `Bearer ${token}` } });
    ws.once('unexpected-response', (_request, response) => {
      void refusalReason(response).then((reason) => {
        const status = `HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim();
        reject(new Error(`the kernel refused the connection: ${status}${reason ? `: ${reason}` : ''}`));
        ws.terminate();
      });
    });
    ws.on('error', (error) => reject(new Error(`cannot reach the kernel at ${url}: ${error.message}`)));
    ws.once('open', () => {
      const transport: MessageTransport = {
        send: (text) => ws.send(text),
        onMessage: (handler) => ws.on('message', (data) => handler(String(data))),
        onClose: (handler) => ws.on('close', (code, reason) => handler(`${code} ${String(reason)}`.trim())),
        close: () => ws.close(),
      };
      resolve(createKernelClient(transport, options));
    });
  });
}
