import type { MessageTransport } from '../../src-shared/index.js';
import { API_SOCKET_PATH, apiSocketProtocols } from '../../src-shared/index.js';
/** Where the page keeps the token for this tab: it survives a reload, not the tab. */
export const TOKEN_STORAGE_KEY = 'amk.token';

/** What of the window the token handling needs (a plain object in tests). */
export interface PageScope {
  location: Pick<Location, 'protocol' | 'host' | 'pathname' | 'search' | 'hash'>;
  history: Pick<History, 'replaceState' | 'state'>;
  sessionStorage: Pick<Storage, 'getItem' | 'setItem'>;
}

function tokenIn(params: string): string | null {
  const token = new URLSearchParams(params).get('token')?.trim();
  return token ? token : null;
}

/** The address without its token: the fragment's `token=`, and the query's (the old form, kept for one release). */
function addressWithoutToken(location: PageScope['location']): string {
  const query = new URLSearchParams(location.search);
  query.delete('token');
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  fragment.delete('token');
  const search = query.toString() !== '' ? `?${query.toString()}` : '';
  const hash = fragment.toString() !== '' ? `#${fragment.toString()}` : '';
  return `${location.pathname}${search}${hash}`;
}

/** Remembers the token for this tab; a page where storage is refused just asks again after a reload. */
export function rememberToken(page: Pick<PageScope, 'sessionStorage'>, token: string): void {
  try {
    page.sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage disabled: nothing to keep it in.
  }
}

/**
 * The token the page was opened with (`amk serve`'s link: `/#token=...`), which is then kept in
 * sessionStorage and taken out of the address bar at once, so it stays out of history and
 * bookmarks; else the token this tab kept before; else null.
 */
export function takeTokenFromPage(page: PageScope): string | null {
  const fromAddress = tokenIn(page.location.hash.replace(/^#/, '')) ?? tokenIn(page.location.search);
  if (fromAddress !== null) {
    rememberToken(page, fromAddress);
    page.history.replaceState(page.history.state, '', addressWithoutToken(page.location));
    return fromAddress;
  }
  try {
    const kept = page.sessionStorage.getItem(TOKEN_STORAGE_KEY);
    return kept && kept.trim() !== '' ? kept : null;
  } catch {
    return null;
  }
}

/** The kernel's WebSocket on the page's own origin; the token never goes in it. */
export function kernelSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${API_SOCKET_PATH}`;
}

/** The subprotocols a browser offers: the API's, and the token (the server answers with the first only). */
export const kernelSocketProtocols = apiSocketProtocols;

/** Opens a browser WebSocket and resolves once it is open, so nothing is sent into a connecting socket. */
export function openWebSocketTransport(url: string, protocols: string[]): Promise<MessageTransport> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, protocols);
    } catch {
      // The browser refuses a subprotocol with spaces or odd characters, which no real token has.
      reject(new Error('that is not a kernel token: paste the token from serve.json'));
      return;
    }
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
