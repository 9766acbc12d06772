import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerMessage } from '../../src-shared/index.js';
import { ClientMessage } from '../../src-shared/index.js';
import { handleKernelRequest, KernelError, toErrorPayload, type Kernel } from '../kernel/index.js';
import { createMcpHttpEndpoint } from '../mcp/index.js';
import { serveStatic } from './static-files.js';

export interface KernelServerOptions {
  kernel: Kernel;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  rendererDir: string;
}

export interface KernelServer {
  readonly url: string;
  /** The address a browser opens: the URL with the token. */
  readonly openUrl: string;
  readonly token: string;
  close(): Promise<void>;
}

/** Where the browser UI uploads a GGUF the user dropped or picked. */
export const MODEL_UPLOAD_PATH = '/models/upload';

/** A client that cannot keep up is cut off past this many unsent bytes, rather than growing memory forever. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

function presentedToken(request: IncomingMessage): string | null {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * `amk serve`: the kernel API over a WebSocket on loopback at /api, guarded by a per-start random
 * token and an Origin check, and the built renderer from the same port.
 */
export async function startKernelServer(options: KernelServerOptions): Promise<KernelServer> {
  const host = options.host ?? '127.0.0.1';
  const token = randomBytes(24).toString('hex');
  const sockets = new Set<WebSocket>();
  const mcp = createMcpHttpEndpoint(options.kernel);
  const http = createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/mcp') return serveMcp(request, response);
    if (pathname === MODEL_UPLOAD_PATH) return void serveModelUpload(request, response);
    void serveStatic(options.rendererDir, request, response);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const allowedOrigins = new Set([`http://${host}:${port}`, `http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  http.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const refuse = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
    };
    if (url.pathname !== '/api') return refuse(404, 'Not Found');
    const origin = request.headers.origin;
    // Browsers always send Origin: a page from anywhere else must not drive the kernel.
    if (origin !== undefined && !allowedOrigins.has(origin)) return refuse(403, 'Forbidden origin');
    const offered = presentedToken(request);
    if (!offered || !sameToken(offered, token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(request, socket, head, (ws) => serveConnection(ws));
  });

  /**
   * The HTTP routes' guard: the page's origin (when a browser sends one) must be this server's,
   * and the token must come as a bearer header (never in the address). Null when both hold.
   */
  function refusalOf(request: IncomingMessage): { status: 401 | 403; message: string } | null {
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) return { status: 403, message: 'Forbidden origin' };
    const header = request.headers.authorization;
    const offered = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
    if (!offered || !sameToken(offered, token)) return { status: 401, message: 'Unauthorized: Authorization: Bearer <token> (the token amk serve printed)' };
    return null;
  }

  function replyJson(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json', ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
    response.end(JSON.stringify(body));
  }

  /** The kernel as an MCP server (Streamable HTTP): the same token, as a bearer header only, and the same origin rule. */
  function serveMcp(request: IncomingMessage, response: ServerResponse): void {
    const refused = refusalOf(request);
    if (refused) return replyJson(response, refused.status, { jsonrpc: '2.0', error: { code: -32001, message: refused.message }, id: null });
    void mcp.handle(request, response);
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
      const model = await options.kernel.models.receive(name, request);
      reply(201, { model });
    } catch (error) {
      // Whatever is left of the body is not read: the connection closes after this reply.
      response.setHeader('connection', 'close');
      reply(400, { error: toErrorPayload(error) });
    }
  }

  function serveConnection(ws: WebSocket): void {
    sockets.add(ws);
    let stream: ReturnType<Kernel['bus']['stream']> | null = null;
    let detachApprover: (() => void) | null = null;
    const send = (message: ServerMessage): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.close(1013, 'client too slow for the event stream');
        return;
      }
      ws.send(JSON.stringify(message));
    };
    const pump = async (): Promise<void> => {
      if (!stream) return;
      for await (const event of stream) {
        send({ kind: 'event', event });
        // Backpressure: let the socket drain before taking more events from the bus.
        while (ws.readyState === ws.OPEN && ws.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 10));
      }
    };
    ws.on('message', (data) => {
      let request: ClientMessage;
      try {
        const parsed = ClientMessage.safeParse(JSON.parse(String(data)));
        if (!parsed.success) throw new KernelError('INVALID_REQUEST', 'a request is {id, method, params}');
        request = parsed.data;
      } catch (error) {
        const payload = error instanceof KernelError ? error.toPayload() : { code: 'INVALID_REQUEST' as const, message: 'not JSON' };
        send({ kind: 'error', id: null, error: payload });
        return;
      }
      if (request.method === 'grants.attach') {
        detachApprover ??= options.kernel.sandbox.broker.attachApprover();
        send({ kind: 'result', id: request.id, result: { ok: true } });
        return;
      }
      if (request.method === 'events.subscribe') {
        if (!stream) {
          stream = options.kernel.bus.stream();
          void pump();
        }
        send({ kind: 'result', id: request.id, result: { ok: true } });
        return;
      }
      handleKernelRequest(options.kernel, request.method, request.params).then(
        (result) => send({ kind: 'result', id: request.id, result }),
        (error: unknown) => send({ kind: 'error', id: request.id, error: toErrorPayload(error) }),
      );
    });
    ws.on('close', () => {
      detachApprover?.();
      stream?.close();
      sockets.delete(ws);
    });
  }

  const url = `http://${host}:${port}`;
  return {
    url,
    openUrl: `${url}/?token=${token}`,
    token,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await mcp.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
