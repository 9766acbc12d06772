/**
 * How a client opens the kernel API's WebSocket (`amk serve`'s `/api`). The token never goes in
 * the address: Node clients send `Authorization: Bearer <token>`; a browser, which cannot set
 * headers on a WebSocket, offers it as a second subprotocol. The server selects only
 * API_SUBPROTOCOL in its reply, so the token is never echoed.
 */
export const API_SOCKET_PATH = '/api';
export const API_SUBPROTOCOL = 'amk.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'amk.token.';

/** The subprotocols a browser offers: the API's, and the token. */
export function apiSocketProtocols(token: string): string[] {
  return [API_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`];
}
