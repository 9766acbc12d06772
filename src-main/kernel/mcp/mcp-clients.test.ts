import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent, McpServerConfigInput, McpServerStatus } from '../../../src-shared/index.js';
import { packageRoot } from '../../settings.js';
import { bootTestKernel, tempDir } from '../../test-support/fixtures.js';
import { handleKernelRequest, type Kernel } from '../index.js';
import { exposedToolName } from './index.js';

const FIXTURE = join(packageRoot(), 'src-main', 'test-support', 'mcp-fixture-server.ts');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function kernelIn(dir: string): Promise<{ kernel: Kernel; events: KernelEvent[] }> {
  const kernel = await bootTestKernel(dir, { grantTimeoutMs: 20_000 });
  cleanups.push(() => kernel.dispose());
  const events: KernelEvent[] = [];
  kernel.bus.on((event) => events.push(event));
  return { kernel, events };
}

async function freshKernel(): Promise<{ kernel: Kernel; events: KernelEvent[]; dir: string }> {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  return { ...(await kernelIn(dir.path)), dir: dir.path };
}

function fixture(name = 'fixture', extra: Partial<McpServerConfigInput> = {}, env: Record<string, string> = {}): McpServerConfigInput {
  return { name, transport: { kind: 'stdio', command: process.execPath, args: ['--import', 'tsx', FIXTURE], env, cwd: packageRoot() }, ...extra };
}

/** A registration the user approved in the call itself (`amk mcp-servers add --yes`). */
function addServer(kernel: Kernel, config: McpServerConfigInput): Promise<McpServerStatus> {
  return handleKernelRequest(kernel, 'mcp.servers.add', { ...config, approved: true }) as Promise<McpServerStatus>;
}

/** A tool call as the syscall layer makes it, for agent `agentId`. */
function call(kernel: Kernel, tool: string, args: Record<string, unknown>, agentId = 'tester') {
  return kernel.tools.invoke(tool, args, { pid: 1, agentId, agentName: 'Tester', policy: 'strict', signal: new AbortController().signal });
}

describe('tool names', () => {
  it('are lower_snake_case, at most 64 characters, and stay distinct when cut', () => {
    expect(exposedToolName('my-server', 'Get.Weather')).toBe('mcp__my_server__get_weather');
    const long = exposedToolName('server', 'x'.repeat(80));
    expect(long).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
    expect(long).not.toBe(exposedToolName('server', `${'x'.repeat(79)}y`));
  });
});

describe('the kernel as an MCP client', () => {
  it('offers a server its tools behind mcp: grants; a kernel agent calls one after the user approves it', async () => {
    const { kernel, events } = await freshKernel();
    const status = await addServer(kernel, fixture());
    expect(status).toMatchObject({ name: 'fixture', health: 'healthy', error: null });
    expect(status.tools.map((t) => t.name).sort()).toEqual(['mcp__fixture__crash', 'mcp__fixture__echo', 'mcp__fixture__fail', 'mcp__fixture__hang']);
    expect(status.skipped).toEqual([expect.stringContaining('"bad/name" has characters')]);
    expect(kernel.tools.manifest('mcp__fixture__echo')).toMatchObject({ runtime: 'mcp', requires: [{ kind: 'mcp', server: 'fixture', tool: 'echo' }] });

    cleanups.push(kernel.sandbox.broker.attachApprover());
    const { pid } = kernel.spawn(
      {
        id: 'echoer',
        name: 'Echoer',
        description: 'calls the echo tool of an MCP server',
        systemPrompt: 'Echo the word.',
        kind: 'background',
        tools: ['mcp__fixture__echo'],
        toolArgs: { mcp__fixture__echo: { text: { enum: ['hello'] } } },
        model: { maxSteps: 2, maxTokensPerStep: 96, toolFirst: true },
      },
      'Echo it.',
    );
    await expect.poll(() => kernel.sandbox.broker.list(), { timeout: 30_000 }).toEqual([
      expect.objectContaining({ pid, agentId: 'echoer', tool: 'mcp__fixture__echo', capability: 'mcp:fixture/echo', risk: 'high' }),
    ]);
    expect(kernel.table.get(pid).state).toBe('blocked');
    kernel.sandbox.decide(kernel.sandbox.broker.list()[0]!.id, 'allow-session');
    await kernel.wait(pid, 60_000);
    expect(events.find((e) => e.type === 'proc.tool-result' && e.pid === pid)).toMatchObject({ ok: true, value: { text: 'echo: hello' } });
    expect(kernel.audit.query({ pid }).map((r) => `${r.kind}:${r.outcome}`)).toEqual(expect.arrayContaining(['capability:allowed', 'tool:ok', 'syscall:ok']));
    expect(kernel.audit.query({ pid, kind: 'tool' })[0]).toMatchObject({ name: 'mcp__fixture__echo', capability: 'mcp:fixture/echo' });
  });

  it('registering a server asks the user like a capability; registrations and removals are audited', async () => {
    const { kernel } = await freshKernel();
    // Nobody to ask: refused, with the way out, and nothing ran.
    await expect(handleKernelRequest(kernel, 'mcp.servers.add', fixture('asked'))).rejects.toMatchObject({
      code: 'CAPABILITY_DENIED',
      message: expect.stringMatching(/registering the MCP server asked runs `.*mcp-fixture-server\.ts`.* outside the Wasm sandbox, with your rights \((confined by bubblewrap|NOT confined).*\), and no approver.*--yes/),
    });
    expect(kernel.mcp.list()).toEqual([]);

    cleanups.push(kernel.sandbox.broker.attachApprover());
    const denied = handleKernelRequest(kernel, 'mcp.servers.add', fixture('asked'));
    await expect.poll(() => kernel.sandbox.broker.list()).toEqual([
      expect.objectContaining({ agentId: 'user', tool: expect.stringMatching(/^mcp\.servers\.add#[0-9a-f]{12}$/), capability: 'mcp-server:asked', risk: 'high', summary: expect.stringContaining('with your rights') }),
    ]);
    kernel.sandbox.decide(kernel.sandbox.broker.list()[0]!.id, 'deny');
    await expect(denied).rejects.toMatchObject({ code: 'CAPABILITY_DENIED', message: expect.stringContaining('the user denied it') });
    expect(kernel.mcp.list()).toEqual([]);

    const allowed = handleKernelRequest(kernel, 'mcp.servers.add', fixture('asked'));
    await expect.poll(() => kernel.sandbox.broker.list().length).toBe(1);
    kernel.sandbox.decide(kernel.sandbox.broker.list()[0]!.id, 'allow-always');
    expect(await allowed).toMatchObject({ name: 'asked', health: 'healthy' });
    // The answer is for this registration only: no grant is kept for the next one.
    expect(kernel.sandbox.grants.list()).toEqual([]);
    await handleKernelRequest(kernel, 'mcp.servers.remove', { name: 'asked' });

    const records = kernel.audit.query({ agentId: 'user' }).map((r) => `${r.kind}:${r.name}:${r.outcome}`);
    expect(records).toEqual([
      'capability:mcp.servers.add:denied',
      'capability:mcp.servers.add:denied',
      'capability:mcp.servers.add:allowed',
      'syscall:mcp.servers.add:ok',
      'syscall:mcp.servers.remove:ok',
    ]);
    expect(kernel.audit.query({ name: 'mcp.servers.add', kind: 'syscall' })[0]!.reason).toMatch(/registered asked: `.*mcp-fixture-server\.ts`/);
    expect(await kernel.audit.verify()).toMatchObject({ ok: true });
  });

  it('without a grant the call is denied before the server sees it', async () => {
    const { kernel } = await freshKernel();
    await addServer(kernel, fixture());
    await expect(call(kernel, 'mcp__fixture__echo', { text: 'x' })).rejects.toMatchObject({
      code: 'CAPABILITY_DENIED',
      message: expect.stringContaining('mcp:fixture/echo'),
    });
    // A grant for one tool of the server does not cover another.
    await kernel.sandbox.grant('tester', '*', 'mcp:fixture/fail', 'session');
    await expect(call(kernel, 'mcp__fixture__echo', { text: 'x' })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
    expect(kernel.audit.query({ kind: 'tool', name: 'mcp__fixture__echo' })).toEqual([]);
    // An agent cannot take an MCP client's identity, and with it the client's grants.
    expect(() => kernel.spawn({ id: 'mcp-client-claude', name: 'Impostor', description: 'd', systemPrompt: 'p', kind: 'background' }, 'x')).toThrow(
      expect.objectContaining({ code: 'INVALID_MANIFEST', message: expect.stringContaining('reserved for MCP clients') }),
    );
  });

  it('a hanging server is timed out and isolated, a crashed one too; each restarts on next use and the kernel keeps serving', async () => {
    const { kernel } = await freshKernel();
    await addServer(kernel, fixture('fixture', { timeoutMs: 1_500 }));
    for (const tool of ['echo', 'hang', 'crash', 'fail']) await kernel.sandbox.grant('tester', '*', `mcp:fixture/${tool}`, 'session');

    const started = performance.now();
    await expect(call(kernel, 'mcp__fixture__hang', {})).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('did not answer hang within 1500 ms') });
    // Generous bound: it was stopped, not left hanging.
    expect(performance.now() - started).toBeLessThan(15_000);
    const [hung] = await handleKernelRequest(kernel, 'mcp.servers.list', {}) as McpServerStatus[];
    expect(hung).toMatchObject({ health: 'unhealthy', error: expect.stringContaining('hung') });
    expect(kernel.info().warnings).toContainEqual(expect.stringContaining('MCP server fixture is unhealthy: hung'));
    expect(await call(kernel, 'calculator', { expression: '2+2' })).toEqual({ value: 4 });

    expect(await call(kernel, 'mcp__fixture__echo', { text: 'again' })).toEqual({ text: 'echo: again' });
    expect(kernel.mcp.list()[0]).toMatchObject({ health: 'healthy', restarts: 1 });

    await expect(call(kernel, 'mcp__fixture__crash', {})).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringMatching(/failed during crash: the server process exited.*crashing on purpose/),
    });
    expect(kernel.mcp.list()[0]).toMatchObject({ health: 'unhealthy' });
    await expect(call(kernel, 'mcp__fixture__fail', {})).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('failed on purpose') });
    expect(kernel.mcp.list()[0]).toMatchObject({ health: 'healthy', restarts: 2 });
    expect(kernel.audit.query({ kind: 'tool' }).map((r) => `${r.name}:${r.outcome}`)).toEqual([
      'mcp__fixture__hang:timeout',
      'calculator:ok',
      'mcp__fixture__echo:ok',
      'mcp__fixture__crash:error',
      'mcp__fixture__fail:error',
    ]);
  });

  it('a server that never starts is reported, not fatal; the list persists across restarts and can be edited', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const first = await bootTestKernel(dir.path);
    cleanups.push(() => first.dispose());
    const stuck = await addServer(first, fixture('stuck', { timeoutMs: 1_000, startTimeoutMs: 1_000 }, { FIXTURE_HANG_ON_START: '1' }));
    expect(stuck).toMatchObject({ health: 'unhealthy', error: 'did not start within 1000 ms', tools: [] });
    await addServer(first, fixture('good', {}, { SECRET: 'k' }));
    expect(first.info().warnings).toContainEqual('MCP server stuck is unhealthy: did not start within 1000 ms');
    expect(await call(first, 'calculator', { expression: '1+1' })).toEqual({ value: 2 });
    expect(first.mcp.list().find((s) => s.name === 'good')?.transport).toMatchObject({ env: { SECRET: '(hidden)' } });
    await first.dispose();

    const { kernel } = await kernelIn(dir.path);
    await expect.poll(() => kernel.mcp.list().map((s) => `${s.name}:${s.health}`), { timeout: 30_000 }).toEqual(['stuck:unhealthy', 'good:healthy']);
    expect(kernel.tools.has('mcp__good__echo')).toBe(true);
    await handleKernelRequest(kernel, 'mcp.servers.remove', { name: 'good' });
    expect(kernel.tools.has('mcp__good__echo')).toBe(false);
    expect((JSON.parse(readFileSync(join(dir.path, 'mcp-servers.json'), 'utf8')) as { name: string }[]).map((s) => s.name)).toEqual(['stuck']);
    await expect(handleKernelRequest(kernel, 'mcp.servers.add', { name: 'Bad Name', transport: { kind: 'http', url: 'file:///etc' } })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });
});
