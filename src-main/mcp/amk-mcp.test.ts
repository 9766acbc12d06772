import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord, KernelClient, ProcessInfo } from '../../src-shared/index.js';
import type { Kernel } from '../kernel/index.js';
import { connectKernel, readConnectionFile, startKernelServer, writeConnectionFile, type KernelServer } from '../server/index.js';
import { packageRoot } from '../settings.js';
import { bootTestKernel, tempDir, testModelPath } from '../test-support/fixtures.js';
import { runCliInProcess } from '../test-support/cli-in-process.js';

const MAIN = join(packageRoot(), 'src-main', 'cli', 'main.ts');
const FIXTURE = join(packageRoot(), 'src-main', 'test-support', 'mcp-fixture-server.ts');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `amk mcp` as an MCP client launches it: a child process speaking MCP on stdio. */
async function amkMcp(name: string, args: string[], env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', MAIN, 'mcp', ...args],
    env: { AMK_THREADS: '1', AMK_GPU: 'cpu', AMK_SLOTS: '2', ...env },
    cwd: packageRoot(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const client = new Client({ name, version: '1.0.0' });
  try {
    await client.connect(transport, { timeout: 60_000 });
  } catch (error) {
    throw new Error(`amk mcp did not start: ${(error as Error).message}\n${stderr}`);
  }
  cleanups.push(() => client.close());
  return client;
}

const amk = runCliInProcess;

function text(result: unknown): string {
  return ((result as CallToolResult).content[0] as { text: string }).text;
}

async function kernelServer(): Promise<{ kernel: Kernel; server: KernelServer; dir: string }> {
  const dir = tempDir();
  const renderer = tempDir();
  cleanups.push(dir.dispose, renderer.dispose);
  const kernel = await bootTestKernel(dir.path);
  cleanups.push(() => kernel.dispose());
  const server = await startKernelServer({ kernel, port: 0, rendererDir: renderer.path });
  cleanups.push(() => server.close());
  return { kernel, server, dir: dir.path };
}

function httpClient(server: KernelServer, token: string, name: string): { client: Client; transport: StreamableHTTPClientTransport } {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name, version: '1.0.0' });
  cleanups.push(() => client.close());
  return { client, transport };
}

/**
 * Each test drives the real CLI in child processes (a fresh Node with tsx per command: 2-7 s each
 * on a loaded 2-core machine), so a test's run time is bounded work, not a measure; the limit is a
 * hang guard only.
 */
const CLI_LIMIT_MS = 300_000;

describe('amk mcp: the kernel as an MCP server on stdio', { timeout: CLI_LIMIT_MS }, () => {
  it('lists and calls tools; a call waits for the user, goes through on approval, fails on deny, and is audited', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const client = await amkMcp('test-client', ['--data-dir', dir.path, '--model', testModelPath()]);
    const tools = (await client.listTools()).tools.map((tool) => tool.name);
    expect(tools).toEqual(expect.arrayContaining(['spawn_agent', 'send_task', 'wait_process', 'read_result', 'list_processes', 'calculator', 'clock']));

    expect(await client.callTool({ name: 'calculator', arguments: { expression: '6*7' } })).toMatchObject({ structuredContent: { value: 42 } });
    const invalid = await client.callTool({ name: 'calculator', arguments: { expression: 42 } });
    expect(invalid).toMatchObject({ isError: true });
    expect(text(invalid)).toContain('INVALID_TOOL_ARGS');
    // Nobody to ask: deny by default.
    const unattended = await client.callTool({ name: 'clock', arguments: {} });
    expect(text(unattended)).toMatch(/CAPABILITY_DENIED.*no approver/);

    // The approver: the same kernel's API, which `amk mcp` serves on loopback.
    const info = readConnectionFile(dir.path)!;
    const api: KernelClient = await connectKernel(info.url, info.token);
    cleanups.push(() => api.close());
    await api.call('grants.attach', {});
    // No client token: `amk mcp` runs as the user, so the session is the administrator's client, whatever it calls itself.
    const me = (await api.call('proc.list', {})).find((p) => p.agentId === 'mcp-client-admin') as ProcessInfo;
    expect(me).toMatchObject({ kind: 'interactive', state: 'running' });

    const approved = client.callTool({ name: 'clock', arguments: {} });
    await expect.poll(() => api.call('grants.pending', {}), { timeout: 30_000 }).toEqual([
      expect.objectContaining({ pid: me.pid, agentId: 'mcp-client-admin', tool: 'clock', capability: 'clock' }),
    ]);
    expect(await api.call('proc.get', { pid: me.pid })).toMatchObject({ state: 'blocked' });
    const [first] = await api.call('grants.pending', {});
    await api.call('grants.decide', { requestId: first!.id, decision: 'allow-once' });
    expect(await approved).toMatchObject({ structuredContent: { iso: expect.stringMatching(/^\d{4}-/) } });

    const denied = client.callTool({ name: 'clock', arguments: {} });
    await expect.poll(() => api.call('grants.pending', {}).then((pending) => pending.length), { timeout: 30_000 }).toBe(1);
    const [second] = await api.call('grants.pending', {});
    await api.call('grants.decide', { requestId: second!.id, decision: 'deny' });
    expect(text(await denied)).toMatch(/CAPABILITY_DENIED.*the user denied it/);

    const audit = await api.call('audit.query', { pid: me.pid });
    expect(audit.map((r) => `${r.kind}:${r.name}:${r.outcome}`)).toEqual(
      expect.arrayContaining(['capability:clock:denied', 'capability:clock:allowed', 'tool:clock:ok', 'syscall:tool.call clock:ok', 'syscall:tool.call clock:denied', 'tool:calculator:ok']),
    );
    expect(audit.every((r) => r.agentId === 'mcp-client-admin')).toBe(true);
    const resource = await client.readResource({ uri: 'amk://audit' });
    const records = JSON.parse((resource.contents[0] as { text: string }).text) as AuditRecord[];
    // Denied twice: with nobody to ask, and by the user.
    expect(records.filter((r) => r.pid === me.pid && r.kind === 'capability' && r.outcome === 'denied').map((r) => r.reason)).toEqual([
      expect.stringContaining('no approver'),
      'the user denied it',
    ]);
    expect(await api.call('audit.verify', {})).toMatchObject({ ok: true });
  });

  it("runs kernel agents for the client: spawn, wait, read the result, list; the processes resource shows the client", async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const client = await amkMcp('orchestrator', ['--data-dir', dir.path, '--model', testModelPath()]);
    const spawned = (await client.callTool({ name: 'spawn_agent', arguments: { agent: 'storyteller', task: 'a fox' } })) as CallToolResult;
    const { pid } = (spawned.structuredContent as { process: ProcessInfo }).process;
    expect(await client.callTool({ name: 'wait_process', arguments: { pid, timeoutMs: 60_000 } })).toMatchObject({
      structuredContent: { exited: true, process: { pid, state: 'exited' } },
    });
    const result = (await client.callTool({ name: 'read_result', arguments: { pid } })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ answer: expect.any(String), transcript: expect.arrayContaining([expect.objectContaining({ kind: 'answer' })]) });
    const listed = (await client.callTool({ name: 'list_processes', arguments: { all: true } })) as CallToolResult;
    expect((listed.structuredContent as { processes: ProcessInfo[] }).processes.map((p) => p.agentId)).toEqual(['mcp-client-admin', 'storyteller']);
    expect(text(await client.callTool({ name: 'spawn_agent', arguments: { agent: 'no-such-agent', task: 'x' } }))).toContain('UNKNOWN_AGENT');
    expect(text(await client.callTool({ name: 'send_task', arguments: { pid, text: 'more' } }))).toContain('INVALID_STATE');
    const resource = await client.readResource({ uri: 'amk://processes' });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toContainEqual(expect.objectContaining({ agentId: 'mcp-client-admin', state: 'running' }));
  });
});

describe('the kernel as an MCP server over Streamable HTTP', { timeout: CLI_LIMIT_MS }, () => {
  it('refuses a missing or wrong bearer token', async () => {
    const { kernel, server } = await kernelServer();
    expect((await fetch(`${server.url}/mcp`, { method: 'POST', body: '{}' })).status).toBe(401);
    const { client, transport } = httpClient(server, 'wrong', 'intruder');
    await expect(client.connect(transport)).rejects.toThrow(/401|Unauthorized/);
    // The right token from a page of another origin is refused too.
    const fromPage = await fetch(`${server.url}/mcp`, { method: 'POST', body: '{}', headers: { Authorization: `Bearer ${server.token}`, Origin: 'http://evil.example' } });
    expect(fromPage.status).toBe(403);
    expect(kernel.listProcesses()).toEqual([]);
  });

  it('a session is a process in the table while it lasts, named by its token; tools are called through it', async () => {
    const { kernel, server } = await kernelServer();
    const { secret } = kernel.access.tokens.create('http-client');
    const { client, transport } = httpClient(server, secret, 'Some Client');
    await client.connect(transport);
    expect(await client.callTool({ name: 'calculator', arguments: { expression: '1+2' } })).toMatchObject({ structuredContent: { value: 3 } });
    const [session] = kernel.listProcesses();
    expect(session).toMatchObject({ agentId: 'mcp-client-http-client', state: 'running', counters: { toolCalls: 1 } });
    expect(kernel.transcript(session!.pid)).toEqual([
      { kind: 'task', text: 'MCP session over http (token http-client); the client says it is Some Client 1.0.0' },
      { kind: 'tool-call', step: 0, tool: 'calculator', args: { expression: '1+2' } },
      { kind: 'tool-result', step: 0, tool: 'calculator', ok: true, value: { value: 3 } },
    ]);
    await transport.terminateSession();
    await client.close();
    await expect.poll(() => kernel.table.get(session!.pid).state).toBe('exited');
  });

  it('the user can kill a client like any process: its calls stop, and its session says why', async () => {
    const { kernel, server } = await kernelServer();
    const { client, transport } = httpClient(server, server.token, 'rogue');
    await client.connect(transport);
    await expect.poll(() => kernel.listProcesses().length).toBe(1);
    const [session] = kernel.listProcesses();
    // It has no model loop to suspend or resume.
    await expect(kernel.resume(session!.pid)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('outside the kernel') });
    expect(kernel.kill(session!.pid)).toMatchObject({ state: 'exited', exit: { code: 137 } });
    expect(text(await client.callTool({ name: 'calculator', arguments: { expression: '1' } }))).toMatch(/INVALID_STATE.*has ended/);
    expect(kernel.listProcesses()).toHaveLength(1);
  });

  it('amk mcp relays to a kernel that is already serving the data directory', async () => {
    const { kernel, server, dir } = await kernelServer();
    writeConnectionFile(dir, { url: server.url, token: server.token, pid: process.pid });
    // The client's own token, from the environment: the session is that client, not the administrator.
    const { secret } = kernel.access.tokens.create('relayed');
    const client = await amkMcp('claims-another-name', ['--data-dir', dir], { AMK_MCP_TOKEN: secret });
    expect(await client.callTool({ name: 'calculator', arguments: { expression: '2*21' } })).toMatchObject({ structuredContent: { value: 42 } });
    expect(kernel.listProcesses()).toEqual([expect.objectContaining({ agentId: 'mcp-client-relayed', state: 'running' })]);
    await client.close();
    await expect.poll(() => kernel.listProcesses()[0]?.state, { timeout: 15_000 }).toBe('exited');
  });

  it('amk mcp-servers adds, lists and removes external servers of the running kernel', async () => {
    const { kernel, server, dir } = await kernelServer();
    writeConnectionFile(dir, { url: server.url, token: server.token, pid: process.pid });
    const added = await amk(['mcp-servers', 'add', 'fx', '--command', `'${process.execPath}' --import tsx '${FIXTURE}'`, '--env', 'TOKEN=secret', '--timeout', '5000', '--yes', '--data-dir', dir]);
    expect(added.stdout).toContain('fx healthy');
    expect(added.stdout).toContain('mcp__fx__echo  (grant: mcp:fx/echo)');
    expect(added.code).toBe(0);
    expect(kernel.mcp.list()[0]).toMatchObject({ timeoutMs: 5000, transport: { kind: 'stdio', args: ['--import', 'tsx', FIXTURE], env: { TOKEN: '(hidden)' } } });
    expect(added.stdout).toMatch(/\n {2}runs outside the sandbox, with your rights; (confined by bubblewrap: no home, no network|NOT confined: .*bubblewrap)/);
    const listed = (await amk(['mcp-servers', 'list', '--data-dir', dir])).stdout;
    expect(listed).toMatch(/NAME\s+HEALTH\s+SANDBOX\s+TOOLS[\s\S]*\nfx\s+healthy\s+(bubblewrap|NONE)\s+4/);
    expect(listed).toContain('Native (--command) servers run outside the Wasm sandbox, with your rights.');
    const unreachable = await amk(['mcp-servers', 'add', 'web', '--url', 'http://127.0.0.1:9/mcp', '--timeout', '2000', '--yes', '--data-dir', dir]);
    expect(unreachable).toMatchObject({ code: 1, stdout: expect.stringContaining('web unhealthy') });
    expect((await amk(['mcp-servers', 'add', 'both', '--data-dir', dir])).code).toBe(2);
    expect((await amk(['mcp-servers', 'add', 'web2', '--url', 'http://127.0.0.1:9/mcp', '--allow-network', '--yes', '--data-dir', dir])).code).toBe(2);
    // Network and folders are asked for at registration, recorded, and folders made absolute.
    const wide = await amk(['mcp-servers', 'add', 'wide', '--command', `'${process.execPath}' --import tsx '${FIXTURE}'`, '--allow-network', '--allow-folder', '.', '--yes', '--data-dir', dir]);
    expect(wide.code).toBe(0);
    expect(kernel.mcp.list().find((s) => s.name === 'wide')).toMatchObject({ transport: { network: true, folders: [process.cwd()], cwd: process.cwd() } });
    expect((await amk(['mcp-servers', 'remove', 'wide', '--data-dir', dir])).code).toBe(0);
    expect((await amk(['mcp-servers', 'remove', 'fx', '--data-dir', dir])).code).toBe(0);
    expect(kernel.mcp.list().map((s) => s.name)).toEqual(['web']);
    expect(kernel.audit.query({ kind: 'syscall', agentId: 'user' }).map((r) => `${r.name}:${r.outcome}`)).toEqual([
      'mcp.servers.add:ok',
      'mcp.servers.add:ok',
      'mcp.servers.add:ok',
      'mcp.servers.remove:ok',
      'mcp.servers.remove:ok',
    ]);
  });
});
