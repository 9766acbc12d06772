import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_JOURNAL_LINE_BYTES } from '../kernel/core/journal-reader.js';
import { readJournal } from '../kernel/core/journal.js';
import { WebhookListener } from '../kernel/interrupts/index.js';
import { MAX_PENDING_PER_AGENT } from '../kernel/sandbox/grant-broker.js';
import { MAX_SESSIONS_PER_CLIENT } from '../mcp/mcp-http-endpoint.js';
import type { KernelServer } from '../server/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { connectMcpClient, serveWithModel, type ServedWithModel } from './mcp-client-fixture.js';
import { rawExchange, serveKernel, stillAnswers } from './front-door-fixture.js';

/**
 * The red team's attacks on the finished front doors: each is what an MCP client holding only its
 * own token can send. Each is refused with a clear error, and the kernel answers the next request.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Served extends ServedWithModel {
  /** Cleanups run after each test; this is for the front-door fixture's type only. */
  dispose(): Promise<void>;
}

async function served(dir = tempDir()): Promise<Served> {
  return { ...(await serveWithModel(cleanups, dir)), dispose: async () => {} };
}

const mcpClient = (server: KernelServer, token: string) => connectMcpClient(cleanups, server, token, 'red-team');

const text = (result: CallToolResult): string => (result.content[0] as { text: string }).text;

/** A raw JSON-RPC POST to /mcp (the SDK's client would refuse to send what an attacker sends). */
async function post(served: Served, token: string, body: string, sessionId?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${served.server.url}/mcp`, {
    method: 'POST',
    body,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-03-26' } : {}),
    },
  });
  return { status: response.status, text: await response.text() };
}

describe('red team: an MCP client with its own token', () => {
  it('calling a tool named after an Object.prototype key is an unknown tool, not an internal failure', async () => {
    const kernel = await served();
    const { secret } = kernel.kernel.access.createToken('proto');
    const { client } = await mcpClient(kernel.server, secret);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const result = (await client.callTool({ name, arguments: {} })) as CallToolResult;
      expect(result.isError, name).toBe(true);
      // Before: INTERNAL "Cannot read properties of undefined (reading 'safeParse')", the key found on the prototype.
      expect(text(result), name).toMatch(/^(UNKNOWN_TOOL: unknown tool|INVALID_REQUEST: syscall tool.call: field `tool`: tool names are lower_snake_case)/);
    }
    expect((await client.callTool({ name: 'list_agents', arguments: {} })).isError).toBeFalsy();
    await stillAnswers(kernel);
  });

  it('deeply nested JSON-RPC (at initialize and inside a session) is refused with a clear parse error; the session goes on', async () => {
    const kernel = await served();
    const { secret } = kernel.kernel.access.createToken('deep');
    const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const init = (extra: string): string =>
      `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"a","version":"1"},"x":${extra}}}`;
    const refusedInit = await post(kernel, secret, init(deep(100_000)));
    expect(refusedInit.status).toBe(400);
    expect(refusedInit.text).toContain('nests deeper than 64 levels');

    const { client, transport } = await mcpClient(kernel.server, secret);
    for (const name of ['list_agents', 'spawn_agent', 'calculator']) {
      const call = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"${name}","arguments":{"task":"x","manifest":${deep(5_000)}}}}`;
      const refused = await post(kernel, secret, call, transport.sessionId);
      expect(refused.status, name).toBe(400);
      expect(JSON.parse(refused.text)).toMatchObject({ error: { code: -32700, message: expect.stringContaining('nests deeper than 64 levels') } });
    }
    expect(await client.callTool({ name: 'calculator', arguments: { expression: '2*3' } })).toMatchObject({ structuredContent: { value: 6 } });
    expect(kernel.logs).toEqual([]);
    await stillAnswers(kernel);
  });

  it(`a client that opens session after session keeps at most ${MAX_SESSIONS_PER_CLIENT} (its stalest close), not one process each forever`, async () => {
    const kernel = await served();
    const { secret } = kernel.kernel.access.createToken('flood');
    const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'f', version: '1' } } });
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    let first: string | null = null;
    for (let i = 0; i < MAX_SESSIONS_PER_CLIENT + 8; i++) {
      const response = await fetch(`${kernel.server.url}/mcp`, {
        method: 'POST',
        body: initialize,
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      });
      await response.text();
      const id = response.headers.get('mcp-session-id')!;
      first ??= id;
      expect((await post(kernel, secret, initialized, id)).status).toBe(202);
    }
    const live = kernel.kernel.listProcesses().filter((p) => p.agentId === 'mcp-client-flood' && p.state !== 'exited');
    expect(live).toHaveLength(MAX_SESSIONS_PER_CLIENT);
    // The stalest session is gone, and says so.
    const gone = await post(kernel, secret, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }), first!);
    expect(gone.status).toBe(404);
    expect(gone.text).toContain('unknown or expired MCP session');
    const { client } = await mcpClient(kernel.server, secret);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await stillAnswers(kernel);
  });

  it('a manifest too large for its journal line is refused at spawn, instead of vanishing from the table at the next boot', async () => {
    const dir = tempDir();
    const kernel = await served(dir);
    const { secret } = kernel.kernel.access.createToken('huge');
    const { client } = await mcpClient(kernel.server, secret);
    const manifest = { id: 'huge', name: 'Huge', description: 'd', systemPrompt: 'x'.repeat(2_000_000), kind: 'background' };
    const result = (await client.callTool({ name: 'spawn_agent', arguments: { task: 'hi', manifest } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^INVALID_REQUEST: the manifest and task of "huge--huge" take \d+ bytes as JSON: at most 524288/);
    expect(kernel.kernel.listProcesses().filter((p) => p.agentId === 'huge--huge')).toEqual([]);
    await stillAnswers(kernel);

    // And the journal boots clean: nothing skipped, no process lost.
    const before = kernel.kernel.listProcesses().map((p) => p.pid);
    for (const cleanup of cleanups.splice(2).reverse()) await cleanup();
    const again = await bootTestKernel(dir.path);
    cleanups.push(() => again.dispose());
    expect(again.report.journalSkippedLines).toEqual([]);
    expect(again.listProcesses().map((p) => p.pid)).toEqual(before);
  });

  it('megabytes of tool arguments (journaled before the tool checks them) leave no damaged journal line, live or compacted', async () => {
    const dir = tempDir();
    const kernel = await served(dir);
    const { secret } = kernel.kernel.access.createToken('bulk');
    const { client } = await mcpClient(kernel.server, secret);
    const refused = (await client.callTool({ name: 'calculator', arguments: { expression: 'x'.repeat(1_500_000) } })) as CallToolResult;
    expect(text(refused)).toMatch(/^INVALID_TOOL_ARGS: .*200 characters/);
    const pid = kernel.kernel.listProcesses().find((p) => p.agentId === 'mcp-client-bulk')!.pid;

    // As a kill -9 would leave it: every line readable, the call kept without its bulk.
    kernel.kernel.flushJournal();
    const path = join(dir.path, 'journal', 'events.jsonl');
    for (const line of readFileSync(path, 'utf8').split('\n')) expect(Buffer.byteLength(line)).toBeLessThan(MAX_JOURNAL_LINE_BYTES);
    const live = readJournal(path);
    expect(live.skippedLines).toEqual([]);
    expect(live.events.find((e) => e.type === 'proc.step' && e.pid === pid)).toMatchObject({ action: { tool: 'calculator', args: { omitted: expect.stringContaining('too large for the journal') } } });
    expect(await client.callTool({ name: 'calculator', arguments: { expression: '2+2' } })).toMatchObject({ structuredContent: { value: 4 } });
    await stillAnswers(kernel);

    // After a clean stop (a compaction), the next boot skips nothing and keeps the call.
    for (const cleanup of cleanups.splice(2).reverse()) await cleanup();
    const again = await bootTestKernel(dir.path);
    cleanups.push(() => again.dispose());
    expect(again.report.journalSkippedLines).toEqual([]);
    expect(again.transcript(pid)).toContainEqual(expect.objectContaining({ kind: 'tool-call', tool: 'calculator', args: { omitted: expect.stringContaining('too large') } }));
  });

  it('may not start agents at realtime priority (asked for, or an interrupt handler by default): that preempts all the user has', async () => {
    const kernel = await served();
    const { secret } = kernel.kernel.access.createToken('rush');
    const { client } = await mcpClient(kernel.server, secret);
    const handler = { id: 'rush', name: 'Rush', description: 'd', systemPrompt: 's', kind: 'interrupt-handler', trigger: { source: 'user-input' } };
    for (const args of [
      { agent: 'storyteller', task: 'x', priorityClass: 'realtime' },
      { agent: 'webhook-triage', task: 'x' },
      { manifest: handler, task: 'x' },
      { manifest: { ...handler, kind: 'background', priority: { class: 'realtime' } }, task: 'x' },
    ]) {
      const result = (await client.callTool({ name: 'spawn_agent', arguments: args })) as CallToolResult;
      expect(text(result), JSON.stringify(args)).toMatch(/^CAPABILITY_DENIED: an MCP client may not start .* at realtime priority/);
    }
    expect(kernel.kernel.listProcesses().filter((p) => p.priority.class === 'realtime')).toEqual([]);
    const allowed = (await client.callTool({ name: 'spawn_agent', arguments: { agent: 'storyteller', task: 'x', priorityClass: 'interactive' } })) as CallToolResult;
    expect(allowed.structuredContent).toMatchObject({ process: { agentId: 'storyteller', priority: { class: 'interactive' } } });
    await stillAnswers(kernel);
  });
});

describe('red team: what a tool echoes back', () => {
  it('a tool result nested deeper than the journal reads (json_query echoing a document) is journaled without its bulk, live and compacted', async () => {
    const dir = tempDir();
    const kernel = await served(dir);
    const { secret } = kernel.kernel.access.createToken('echo');
    const { client } = await mcpClient(kernel.server, secret);
    const depth = 200;
    const result = (await client.callTool({ name: 'json_query', arguments: { json: `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`, path: 'a' } })) as CallToolResult;
    // The client itself gets the whole answer: only the journal's copy is cut.
    expect(result.isError).toBeFalsy();
    expect(text(result).split('[').length - 1).toBe(depth);
    const pid = kernel.kernel.listProcesses().find((p) => p.agentId === 'mcp-client-echo')!.pid;

    kernel.kernel.flushJournal();
    const live = readJournal(join(dir.path, 'journal', 'events.jsonl'));
    expect(live.skippedLines).toEqual([]);
    expect(live.events.find((e) => e.type === 'proc.tool-result' && e.pid === pid)).toMatchObject({ tool: 'json_query', value: '[nested too deep for the journal]' });
    await stillAnswers(kernel);

    for (const cleanup of cleanups.splice(2).reverse()) await cleanup();
    const again = await bootTestKernel(dir.path);
    cleanups.push(() => again.dispose());
    expect(again.report.journalSkippedLines).toEqual([]);
    expect(again.transcript(pid)).toContainEqual(expect.objectContaining({ kind: 'tool-result', tool: 'json_query', value: '[nested too deep for the journal]' }));
  });
});

describe('red team: the user as a target', () => {
  it(`a client cannot bury the user in questions: past ${MAX_PENDING_PER_AGENT} waiting, its asks are denied at once and say why`, async () => {
    const kernel = await served();
    const { secret } = kernel.kernel.access.createToken('nag');
    const { client } = await mcpClient(kernel.server, secret);
    cleanups.push(kernel.kernel.sandbox.broker.attachApprover());
    const mine = (): { id: string }[] => kernel.kernel.sandbox.broker.list().filter((request) => request.agentId === 'mcp-client-nag');
    const calls = Array.from({ length: MAX_PENDING_PER_AGENT + 8 }, (_, i) => client.callTool({ name: 'file_read', arguments: { path: `/tmp/amk-red-team-${i}` } }) as Promise<CallToolResult>);
    const answered: string[] = [];
    for (const call of calls) void call.then((result) => answered.push(text(result)));
    await expect.poll(() => answered.length + mine().length, { timeout: 30_000 }).toBe(calls.length);
    expect(mine()).toHaveLength(MAX_PENDING_PER_AGENT);
    for (const request of mine()) kernel.kernel.sandbox.broker.decide(request.id, 'deny');
    const results = (await Promise.all(calls)).map(text);
    expect(results.filter((t) => /too many of its requests already wait for the user/.test(t))).toHaveLength(8);
    expect(results.filter((t) => /the user denied it/.test(t))).toHaveLength(MAX_PENDING_PER_AGENT);
    // Another agent's question still reaches the user.
    const { secret: other } = kernel.kernel.access.createToken('polite');
    const { client: polite } = await mcpClient(kernel.server, other);
    const asked = polite.callTool({ name: 'file_read', arguments: { path: '/tmp/amk-red-team-polite' } }) as Promise<CallToolResult>;
    await expect.poll(() => kernel.kernel.sandbox.broker.list().filter((request) => request.agentId === 'mcp-client-polite').length, { timeout: 30_000 }).toBe(1);
    kernel.kernel.sandbox.broker.decide(kernel.kernel.sandbox.broker.list()[0]!.id, 'deny');
    expect(text(await asked)).toMatch(/the user denied it/);
    await stillAnswers(kernel);
  });
});

describe('red team: the webhook port', () => {
  it('refuses a rebinding Host (even with the right token) before anything fires, and keeps serving', async () => {
    const webhook = new WebhookListener();
    await webhook.start(0);
    cleanups.push(() => webhook.dispose());
    const fired: string[] = [];
    webhook.arm('alerts', (detail) => fired.push(detail));
    const port = new URL(webhook.url!).port;
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost.:${port}`, '']) {
      const reply = await rawExchange(
        Number(port),
        `POST /hooks/alerts HTTP/1.1\r\n${host ? `Host: ${host}\r\n` : ''}Authorization: Bearer ${webhook.token}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`,
      );
      // No Host at all is Node's own 400; any other name is this listener's 421.
      expect(reply.status, host).toBe(host ? 421 : 400);
      if (host) expect(reply.text, host).toContain('answers only to Host 127.0.0.1, localhost or [::1]');
    }
    expect(fired).toEqual([]);
    const response = await fetch(`http://localhost:${port}/hooks/alerts`, { method: 'POST', body: 'ok', headers: { authorization: `Bearer ${webhook.token}` } });
    expect(response.status).toBe(202);
    expect(fired).toEqual(['webhook alerts: ok']);
  });
});

/**
 * Sends a refused request with an endless chunked body; resolves with the status line and the bytes
 * it got to send before the server closed the connection, or null if it was still reading past `cap`.
 */
async function endlessBody(port: number, head: string, cap: number): Promise<{ status: string; sent: number } | null> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.setMaxListeners(0);
  let received = '';
  socket.on('data', (chunk: Buffer) => void (received += chunk.toString('latin1')));
  let closed = false;
  const whenClosed = new Promise<void>((resolve) => socket.once('close', () => resolve(void (closed = true))));
  socket.write(`${head}Transfer-Encoding: chunked\r\n\r\n`);
  const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x61), Buffer.from('\r\n')]);
  let sent = 0;
  while (!closed && sent < cap) {
    sent += chunk.length;
    if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), whenClosed]);
  }
  socket.destroy();
  return closed ? { status: received.split('\r\n')[0]!, sent } : null;
}

describe('red team: bodies nobody asked for', () => {
  it('a refused request with an endless body is answered and its connection closed, not drained until the request timeout', async () => {
    const kernel = await serveKernel();
    cleanups.push(() => kernel.dispose());
    const host = `Host: 127.0.0.1:${kernel.port}\r\n`;
    const cases: [string, RegExp][] = [
      [`POST /mcp HTTP/1.1\r\n${host}Authorization: Bearer not-the-token\r\n`, / 401 /],
      [`PUT /models/upload?name=a.gguf HTTP/1.1\r\n${host}Authorization: Bearer not-the-token\r\n`, / 401 /],
      [`POST /mcp HTTP/1.1\r\n${host}Origin: http://evil.example\r\nAuthorization: Bearer ${kernel.server.token}\r\n`, / 403 /],
      [`POST /index.html HTTP/1.1\r\n${host}`, / 503 /], // (no renderer is built in this folder)
    ];
    for (const [head, status] of cases) {
      // 64 MiB is far past what socket buffers hold: a server still reading there is draining the body.
      const reply = await endlessBody(kernel.port, head, 64 * 1024 * 1024);
      expect(reply, head).not.toBeNull();
      expect(reply!.status, head).toMatch(status);
    }
    await stillAnswers(kernel);
  });
});
