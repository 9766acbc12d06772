import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerMessage } from '../../src-shared/index.js';
import { API_SOCKET_PATH, API_SUBPROTOCOL, TOOL_UPLOAD_PATH } from '../../src-shared/index.js';
import { ADMIN_IDENTITY, CLIENT_TOKEN_PREFIX, handleKernelRequest, tokenIdentity, toErrorPayload, type ClientIdentity, type Kernel } from '../kernel/index.js';
import { createMcpHttpEndpoint } from '../mcp/index.js';
import {
  allowedHosts,
  allowedOrigins as originsOf,
  DEFAULT_HTTP_LIMITS,
  hostRefusal,
  isRefusal,
  bearerToken,
  offeredApiToken,
  originRefusal,
  parseTarget,
  sameToken,
  type HttpLimits,
  type Refusal,
} from './front-door.js';
import { serveStatic } from './static-files.js';
import { parseWireMessage } from './wire-message.js';

export interface KernelServerOptions {
  kernel: Kernel;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  rendererDir: string;
  /** Node's HTTP parser limits and timeouts; the defaults suit a loopback server. */
  limits?: Partial<HttpLimits>;
  /** Where failures of single requests and connections are reported (default: stderr). */
  log?: (line: string) => void;
}

export interface KernelServer {
  readonly url: string;
  /** The address a browser opens: the URL with the token in its fragment, which browsers never send. */
  readonly openUrl: string;
  readonly token: string;
  close(): Promise<void>;
}

/** Where the browser UI uploads a GGUF the user dropped or picked. */
export const MODEL_UPLOAD_PATH = '/models/upload';

/** A client that cannot keep up is cut off past this many unsent bytes, rather than growing memory forever. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** The reason a request or connection failed, for the log: never the query, which may hold a secret. */
function describeFailure(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * `amk serve`: the kernel API over a WebSocket on loopback at /api, guarded by a per-start random
 * token, a Host allow-list and an Origin check, and the built renderer from the same port. No
 * request or connection can take the process down: each failure is answered and logged.
 */
export async function startKernelServer(options: KernelServerOptions): Promise<KernelServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => console.error(line));
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const token = randomBytes(24).toString('hex');
  const sockets = new Set<WebSocket>();
  const mcp = createMcpHttpEndpoint(options.kernel);
  const http = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeaderSize,
    // Node enforces the two timeouts above in a periodic sweep (every 30 s by default): sweep often
    // enough that a slow client is cut off close to its deadline.
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  });
  // Only the selected subprotocol goes back to the client, never the token it offered beside it.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024, handleProtocols: (offered) => (offered.has(API_SUBPROTOCOL) ? API_SUBPROTOCOL : false) });
  wss.on('error', (error) => log(`amk serve: WebSocket server: ${describeFailure(error)}`));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  http.on('error', (error) => log(`amk serve: HTTP server: ${describeFailure(error)}`));
  const port = (http.address() as AddressInfo).port;
  const hosts = allowedHosts(host, port);
  const allowedOrigins = originsOf(hosts);

  http.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // A client that resets mid-request is its own problem, not the kernel's.
    request.on('error', () => {});
    response.on('error', () => {});
    const failed = (error: unknown): void => {
      log(`amk serve: ${request.method ?? '?'} request failed: ${describeFailure(error)}`);
      try {
        if (response.headersSent) return void response.destroy();
        replyJson(response.setHeader('connection', 'close'), 500, { error: { code: 'INTERNAL', message: 'the kernel failed to answer this request; its log says why' } });
      } catch {
        response.destroy();
      }
    };
    try {
      void route(request, response)?.catch(failed);
    } catch (error) {
      failed(error);
    }
  });

  /** The front door of every HTTP route: a sane target and this server's Host, then the route itself. */
  function route(request: IncomingMessage, response: ServerResponse): Promise<void> | void {
    const target = parseTarget(request.url);
    if (isRefusal(target)) return refuseRequest(response, target, null);
    const refused = hostRefusal(request, hosts);
    if (refused) return refuseRequest(response, refused, target.path);
    if (target.path === '/mcp') return serveMcp(request, response);
    if (target.path === MODEL_UPLOAD_PATH) return serveModelUpload(request, response);
    if (target.path === TOOL_UPLOAD_PATH) return serveToolUpload(request, response);
    // The renderer's files take no body: one sent anyway is not drained (that would hold the connection open).
    if (request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0) response.setHeader('connection', 'close');
    return serveStatic(options.rendererDir, target.path, response);
  }

  function refuseRequest(response: ServerResponse, refusal: Refusal, path: string | null): void {
    response.setHeader('connection', 'close');
    const error = { code: refusal.code, message: refusal.message };
    replyJson(response, refusal.status, path === '/mcp' ? { jsonrpc: '2.0', error: { code: -32001, message: refusal.message }, id: null } : { error });
  }

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the raw socket over without an 'error' listener: a client that resets it now
    // (while being refused, or mid-handshake) must not take the kernel down.
    socket.on('error', () => {});
    try {
      const refused = upgradeRefusal(request);
      if (refused) return refuseUpgrade(socket, refused);
      wss.handleUpgrade(request, socket, head, (ws) => serveConnection(ws));
    } catch (error) {
      log(`amk serve: WebSocket upgrade failed: ${describeFailure(error)}`);
      socket.destroy();
    }
  });

  /** Why an upgrade to the API is refused, in the order a rebinding page, a stray path, another origin and a missing token are caught. */
  function upgradeRefusal(request: IncomingMessage): Refusal | null {
    const target = parseTarget(request.url);
    if (isRefusal(target)) return target;
    const refused = hostRefusal(request, hosts);
    if (refused) return refused;
    if (target.path !== API_SOCKET_PATH) return { status: 404, code: 'INVALID_REQUEST', message: `no WebSocket endpoint at ${target.path.slice(0, 80)}: the kernel API is at /api` };
    const origin = originRefusal(request, allowedOrigins);
    if (origin) return origin;
    if (target.query.has('token')) {
      return { status: 400, code: 'INVALID_REQUEST', message: 'the token never goes in the address (it ends up in logs and history): send it as Authorization: Bearer <token>, or as the WebSocket subprotocol amk.token.<token>' };
    }
    const offered = offeredApiToken(request);
    const clientToken = clientTokenRefusal(offered);
    if (clientToken) return clientToken;
    if (offered === null || !sameToken(offered, token)) {
      return { status: 401, code: 'UNAUTHORIZED', message: 'Unauthorized: send the token of serve.json as Authorization: Bearer <token>, or as the WebSocket subprotocol amk.token.<token>' };
    }
    return null;
  }

  /** An HTTP reply on the raw socket, then the socket is closed; a reset socket is simply destroyed. */
  function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
    if (!socket.writable) return void socket.destroy();
    const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
    const auth = refusal.status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Refused'}\r\nConnection: close\r\nContent-Type: application/json\r\n${auth}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  /**
   * The HTTP routes' guard: the page's origin (when a browser sends one) must be this server's,
   * and the token must come as a bearer header (never in the address). Null when both hold.
   */
  function refusalOf(request: IncomingMessage): { status: 401 | 403; message: string } | null {
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) return { status: 403, message: 'Forbidden origin' };
    const header = request.headers.authorization;
    const offered = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
    if (clientTokenRefusal(offered)) return { status: 403, message: clientTokenRefusal(offered)!.message };
    if (!offered || !sameToken(offered, token)) return { status: 401, message: 'Unauthorized: Authorization: Bearer <token> (the token amk serve printed)' };
    return null;
  }

  function replyJson(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    // A refused request's body is never read: without `connection: close` Node would drain it, endless or not, until requestTimeout.
    const refused = status >= 400 ? { connection: 'close' } : {};
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...refused, ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
    response.end(text);
  }

  /**
   * The kernel as an MCP server (Streamable HTTP): the same origin rule, and a bearer header that
   * says who the session is: an MCP client's token (`amk mcp token NAME`: agent `mcp-client-NAME`)
   * or the administrator's (the administrator's client, `mcp-client-admin`). Unknown or revoked: 401.
   */
  function serveMcp(request: IncomingMessage, response: ServerResponse): void {
    const refuse = (status: number, message: string): void => replyJson(response, status, { jsonrpc: '2.0', error: { code: -32001, message }, id: null });
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) return refuse(403, 'Forbidden origin');
    const identity = mcpIdentity(bearerToken(request));
    if (!identity) return refuse(401, 'Unauthorized: send Authorization: Bearer <token>, an MCP client token (amk mcp token NAME; a revoked one is refused)');
    void mcp.handle(request, response, identity);
  }

  function mcpIdentity(offered: string | null): ClientIdentity | null {
    if (offered === null) return null;
    if (sameToken(offered, token)) return ADMIN_IDENTITY;
    const client = options.kernel.verifyClientToken(offered);
    return client ? tokenIdentity(client) : null;
  }

  /** An MCP client's token anywhere but /mcp is refused with the reason: it was made for /mcp alone. */
  function clientTokenRefusal(offered: string | null): Refusal | null {
    if (offered === null || !offered.startsWith(CLIENT_TOKEN_PREFIX)) return null;
    return {
      status: 403,
      code: 'UNAUTHORIZED',
      message: 'Forbidden: this is an MCP client token, accepted on /mcp only; the kernel API, uploads and everything administrative need the administrator token (serve.json)',
    };
  }

  /**
   * A GGUF dropped on the browser UI: `PUT /models/upload?name=FILE.gguf` with the bearer token.
   * The body streams to disk and is checked before it joins the models folder.
   */
  async function serveModelUpload(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => replyJson(response, status, body);
    const refused = refusalOf(request);
    if (refused) return reply(refused.status, { error: { code: refused.status === 403 ? 'FORBIDDEN_ORIGIN' : 'UNAUTHORIZED', message: refused.message } });
    if (request.method !== 'PUT') return reply(405, { error: { code: 'INVALID_REQUEST', message: 'upload a model with PUT' } });
    const name = new URL(request.url ?? '/', 'http://localhost').searchParams.get('name') ?? '';
    try {
      const declared = Number(request.headers['content-length']);
      const model = await options.kernel.receiveModelUpload(name, request, Number.isSafeInteger(declared) ? declared : undefined);
      reply(201, { model });
    } catch (error) {
      // Whatever is left of the body is not read: the connection closes after this reply.
      response.setHeader('connection', 'close');
      reply(400, { error: toErrorPayload(error) });
    }
  }

  /**
   * A tool package dropped on the browser UI: `PUT /tools/upload?name=FILE` with the bearer token,
   * gathered up to the package cap while streaming and staged for review (nothing is installed).
   */
  async function serveToolUpload(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => replyJson(response, status, body);
    const refused = refusalOf(request);
    if (refused) return reply(refused.status, { error: { code: refused.status === 403 ? 'FORBIDDEN_ORIGIN' : 'UNAUTHORIZED', message: refused.message } });
    if (request.method !== 'PUT') return reply(405, { error: { code: 'INVALID_REQUEST', message: 'upload a tool package with PUT' } });
    const name = new URL(request.url ?? '/', 'http://localhost').searchParams.get('name') ?? '';
    try {
      const declared = Number(request.headers['content-length']);
      const review = await options.kernel.receiveToolUpload(name, request, Number.isSafeInteger(declared) ? declared : undefined);
      reply(201, review);
    } catch (error) {
      // Whatever is left of the body is not read: the connection closes after this reply.
      response.setHeader('connection', 'close');
      reply((error as { data?: { reason?: string } }).data?.reason === 'too-large' ? 413 : 400, { error: toErrorPayload(error) });
    }
  }

  function serveConnection(ws: WebSocket): void {
    sockets.add(ws);
    // A frame over maxPayload, invalid UTF-8 in a text frame, a reset: ws closes this connection
    // with the matching code (1009, 1007, ...); without this listener the error would end the process.
    ws.on('error', (error) => log(`amk serve: a WebSocket client was cut off: ${error.message}`));
    let stream: ReturnType<Kernel['bus']['stream']> | null = null;
    let detachApprover: (() => void) | null = null;
    const send = (message: ServerMessage): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.close(1013, 'client too slow for the event stream');
        return;
      }
      let text: string;
      try {
        text = JSON.stringify(message);
      } catch (error) {
        log(`amk serve: a reply could not be encoded: ${describeFailure(error)}`);
        if (message.kind === 'event') return;
        text = JSON.stringify({ kind: 'error', id: message.id, error: { code: 'INTERNAL', message: 'the reply could not be encoded as JSON' } });
      }
      ws.send(text);
    };
    const pump = async (): Promise<void> => {
      if (!stream) return;
      for await (const event of stream) {
        send({ kind: 'event', event });
        // Backpressure: let the socket drain before taking more events from the bus.
        while (ws.readyState === ws.OPEN && ws.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 10));
      }
    };
    const answer = (data: Parameters<typeof parseWireMessage>[0], isBinary: boolean): void => {
      const parsed = parseWireMessage(data, isBinary);
      if (!parsed.ok) return send({ kind: 'error', id: parsed.id, error: parsed.error });
      const request = parsed.message;
      if (request.method === 'grants.attach') {
        detachApprover ??= options.kernel.attachApprover();
        send({ kind: 'result', id: request.id, result: { ok: true } });
        return;
      }
      if (request.method === 'events.subscribe') {
        if (!stream) {
          stream = options.kernel.bus.stream();
          pump().catch((error: unknown) => {
            log(`amk serve: the event stream of a client failed: ${describeFailure(error)}`);
            ws.close(1011, 'the event stream failed');
          });
        }
        send({ kind: 'result', id: request.id, result: { ok: true } });
        return;
      }
      handleKernelRequest(options.kernel, request.method, request.params).then(
        (result) => send({ kind: 'result', id: request.id, result }),
        (error: unknown) => send({ kind: 'error', id: request.id, error: toErrorPayload(error) }),
      );
    };
    ws.on('message', (data, isBinary) => {
      try {
        answer(data, isBinary);
      } catch (error) {
        log(`amk serve: a WebSocket request failed: ${describeFailure(error)}`);
        send({ kind: 'error', id: null, error: { code: 'INTERNAL', message: 'the kernel failed to answer this request; its log says why' } });
      }
    });
    ws.on('close', () => {
      detachApprover?.();
      stream?.close();
      sockets.delete(ws);
    });
  }

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    openUrl: `${url}/#token=${token}`,
    token,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await mcp.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // A half-sent request (a slow client, an upload) would otherwise hold the shutdown until its timeout.
      http.closeAllConnections();
      await closed;
    },
  };
}
