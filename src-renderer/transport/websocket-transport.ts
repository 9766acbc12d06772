import type { MessageTransport } from '../../src-shared/index.js';

/** The token `amk serve` put in the address it printed (`/?token=...`), if any. */
export function tokenFromLocation(location: Pick<Location, 'search'>): string | null {
  const token = new URLSearchParams(location.search).get('token');
  return token && token.trim() !== '' ? token.trim() : null;
}

/** The kernel's WebSocket on the page's own origin: `/api?token=...`. */
export function kernelSocketUrl(location: Pick<Location, 'protocol' | 'host'>, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api?token=${encodeURIComponent(token)}`;
}

/** Opens a browser WebSocket and resolves once it is open, so nothing is sent into a connecting socket. */
export function openWebSocketTransport(url: string): Promise<MessageTransport> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const refused = (): void => {
      // A browser hides the HTTP status of a refused upgrade: 401 and "nobody listening" look alike.
      reject(new Error('could not reach the kernel: it is not running, or the token is wrong'));
    };
    socket.addEventListener('error', refused, { once: true });
    socket.addEventListener(
      'open',
      () => {
        socket.removeEventListener('error', refused);
        resolve({
          send: (text) => socket.send(text),
          onMessage: (handler) =>
            socket.addEventListener('message', (message: MessageEvent<unknown>) => {
              if (typeof message.data === 'string') handler(message.data);
            }),
          onClose: (handler) =>
            socket.addEventListener('close', (event) =>
              handler(event.reason !== '' ? `${event.code} ${event.reason}` : `code ${event.code}`),
            ),
          close: () => socket.close(1000, 'closed by the page'),
        });
      },
      { once: true },
    );
  });
}
