import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { ClientIdentity, Kernel } from '../kernel/index.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../server/wire-message.js';
import { createKernelMcpSession, type KernelMcpSession } from './kernel-mcp-session.js';

export interface McpHttpEndpoint {
  /** Serves one request to `/mcp`; the caller has checked the origin and found who the bearer token is. */
  handle(request: IncomingMessage, response: ServerResponse, identity: ClientIdentity): Promise<void>;
  readonly sessions: number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  session: KernelMcpSession;
  lastSeen: number;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Open sessions per client token: opening one more closes its least recently used (a client that never says goodbye). */
export const MAX_SESSIONS_PER_CLIENT = 16;

function reply(response: ServerResponse, status: number, message: string, code = -32000): void {
  if (response.headersSent) return;
  // The connection closes: a body this refusal did not read is not drained.
  response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // Deeper arguments would exhaust the stack where they are validated, digested for the audit or echoed.
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new Error(`the message nests deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.parse(text);
}

/**
 * The kernel's MCP endpoint over Streamable HTTP: one stateful session per client (`Mcp-Session-Id`),
 * each an external process in the table until the client deletes it, or leaves it idle past `idleMs`.
 */
export function createMcpHttpEndpoint(kernel: Kernel, options: { idleMs?: number } = {}): McpHttpEndpoint {
  const sessions = new Map<string, Session>();
  const idleMs = options.idleMs ?? 30 * 60_000;
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const entry of sessions.values()) if (now - entry.lastSeen > idleMs) void entry.transport.close();
  }, Math.min(idleMs, 60_000));
  sweep.unref();

  // A revoked token's sessions end now: their processes exit, and the token is refused from here on.
  const stopRevokes = kernel.access.tokens.onDidRevoke((name) => {
    for (const entry of sessions.values()) if (!entry.session.identity.admin && entry.session.identity.name === name) void entry.transport.close();
  });

  async function open(request: IncomingMessage, response: ServerResponse, body: unknown, identity: ClientIdentity): Promise<void> {
    // Not the administrator's: every `amk mcp` relay of the user's shares that identity.
    const own = identity.admin ? [] : [...sessions.values()].filter((entry) => entry.session.identity.agentId === identity.agentId);
    if (own.length >= MAX_SESSIONS_PER_CLIENT) {
      const stalest = own.reduce((a, b) => (b.lastSeen < a.lastSeen ? b : a));
      await stalest.transport.close();
    }
    const session = createKernelMcpSession(kernel, 'http', identity);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { transport, session, lastSeen: Date.now() }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await session.server.connect(transport);
    await transport.handleRequest(request, response, body);
  }

  return {
    async handle(request, response, identity) {
      try {
        const id = request.headers['mcp-session-id'];
        if (typeof id === 'string') {
          const entry = sessions.get(id);
          if (!entry) return reply(response, 404, 'unknown or expired MCP session: initialize a new one', -32001);
          // A session id is not a credential: another client's token cannot drive this session.
          if (entry.session.identity.agentId !== identity.agentId) return reply(response, 403, 'this MCP session belongs to another client: use the token it was opened with', -32001);
          entry.lastSeen = Date.now();
          // The body is read here, bounded in size and depth, so the SDK never parses an unbounded one.
          if (request.method !== 'POST') return await entry.transport.handleRequest(request, response);
          let message: unknown;
          try {
            message = await readJson(request);
          } catch (error) {
            return reply(response, 400, `not a JSON-RPC message: ${(error as Error).message}`, -32700);
          }
          return await entry.transport.handleRequest(request, response, message);
        }
        if (request.method !== 'POST') return reply(response, 405, 'start a session with an initialize request (POST)');
        let body: unknown;
        try {
          body = await readJson(request);
        } catch (error) {
          return reply(response, 400, `not a JSON-RPC message: ${(error as Error).message}`, -32700);
        }
        if (!isInitializeRequest(body)) return reply(response, 400, 'no Mcp-Session-Id: start a session with an initialize request');
        await open(request, response, body, identity);
      } catch (error) {
        reply(response, 500, `MCP endpoint error: ${(error as Error).message}`, -32603);
      }
    },
    get sessions() {
      return sessions.size;
    },
    async close() {
      clearInterval(sweep);
      stopRevokes();
      await Promise.allSettled([...sessions.values()].map((entry) => entry.session.close()));
      sessions.clear();
    },
  };
}
