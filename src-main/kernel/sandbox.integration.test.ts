import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../src-shared/index.js';
import { startHttpFixture } from '../test-support/http-fixture.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { packageRoot } from '../settings.js';
import type { Kernel } from './index.js';
import { loadCatalog } from './sandbox/index.js';

const TOOLS = join(packageRoot(), 'dist', 'wasm-tools', 'tools');
const FIXTURES = join(packageRoot(), 'dist', 'wasm-tools', 'fixtures');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sandboxKernel(): Promise<{ kernel: Kernel; events: KernelEvent[] }> {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const kernel = await bootTestKernel(dir.path, { toolDirs: [TOOLS, FIXTURES], grantTimeoutMs: 5_000 });
  cleanups.push(() => kernel.dispose());
  const events: KernelEvent[] = [];
  kernel.bus.on((event) => events.push(event));
  return { kernel, events };
}

/** A tool call as the syscall layer makes it, for agent `agentId`. */
function call(kernel: Kernel, tool: string, args: Record<string, unknown>, agentId = 'tester', policy: 'strict' | 'compute-only' = 'strict') {
  return kernel.tools.invoke(tool, args, { pid: 1, agentId, agentName: 'Tester', policy, signal: new AbortController().signal });
}

describe('wasm tools do their work', () => {
  it('compute tools need no capability', async () => {
    const { kernel } = await sandboxKernel();
    expect(await call(kernel, 'calculator', { expression: '12 * 7 + sqrt(16)' })).toEqual({ value: 88 });
    expect(await call(kernel, 'unit_convert', { value: 3, from: 'mi', to: 'km' })).toEqual({ value: expect.closeTo(4.828, 3) });
    expect(await call(kernel, 'text_stats', { text: 'One two. Three!\nFour' })).toEqual({ characters: 20, words: 4, lines: 2, sentences: 3 });
    expect(await call(kernel, 'text_diff', { before: 'a\nb\nc', after: 'a\nc\nd' })).toEqual({ diff: '  a\n- b\n  c\n+ d', added: 1, removed: 1 });
    const json = JSON.stringify({ user: { name: 'Ada', tags: ['x', 'y'] }, items: [{ id: 1 }, { id: 2 }] });
    expect(await call(kernel, 'json_query', { json, path: 'user.name' })).toEqual({ value: 'Ada', found: true });
    expect(await call(kernel, 'json_query', { json, path: 'items[*].id' })).toEqual({ value: [1, 2], found: true });
    expect(await call(kernel, 'json_query', { json, path: 'keys(user)' })).toEqual({ value: ['name', 'tags'], found: true });
    await expect(call(kernel, 'calculator', { expression: 'Yes' })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('calculator') });
  });

  it('file and network tools work inside their grants', async () => {
    const { kernel } = await sandboxKernel();
    const server = await startHttpFixture();
    cleanups.push(server.close);
    const folder = tempDir();
    cleanups.push(folder.dispose);
    writeFileSync(join(folder.path, 'notes.txt'), 'first line\nthe Secret recipe\nlast');
    mkdirSync(join(folder.path, 'sub'));
    writeFileSync(join(folder.path, 'sub', 'more.md'), 'another secret here');
    await kernel.sandbox.grant('tester', '*', `fs:read:${folder.path}`, 'session');
    await kernel.sandbox.grant('tester', 'file_write', `fs:write:${folder.path}`, 'session');
    await kernel.sandbox.grant('tester', '*', `net:127.0.0.1:${server.port}`, 'session');
    await kernel.sandbox.grant('tester', 'clock', 'clock', 'session');
    expect(await call(kernel, 'file_read', { path: join(folder.path, 'notes.txt') })).toMatchObject({ content: 'first line\nthe Secret recipe\nlast', truncated: false });
    expect(await call(kernel, 'file_write', { path: join(folder.path, 'out.txt'), content: 'héllo' })).toEqual({ bytes: 6 });
    expect(readFileSync(join(folder.path, 'out.txt'), 'utf8')).toBe('héllo');
    const listed = (await call(kernel, 'file_list', { path: folder.path })) as { entries: { name: string; kind: string }[] };
    expect(listed.entries.map((e) => `${e.kind}:${e.name}`).sort()).toEqual(['dir:sub', 'file:notes.txt', 'file:out.txt']);
    const found = (await call(kernel, 'file_search', { path: folder.path, query: 'secret' })) as { matches: { path: string; line: number }[] };
    expect(found.matches.map((m) => `${m.path.slice(folder.path.length)}:${m.line}`).sort()).toEqual(['/notes.txt:2', '/sub/more.md:1']);
    expect(await call(kernel, 'http_get', { url: `${server.url}/hello` })).toMatchObject({ status: 200, body: expect.stringContaining('/hello') });
    expect(await call(kernel, 'http_post', { url: `${server.url}/submit`, body: '{"a":1}' })).toMatchObject({ status: 200, body: expect.stringContaining('{\\"a\\":1}') });
    expect(await call(kernel, 'http_get', { url: `${server.url}/big`, maxBytes: 1000 })).toMatchObject({ truncated: true, body: 'x'.repeat(1000) });
    expect(await call(kernel, 'clock', {})).toMatchObject({ iso: expect.stringMatching(/^\d{4}-/), epochMs: expect.any(Number) });
  });

  it('env_get reads only the environment variables granted by name', async () => {
    const { kernel } = await sandboxKernel();
    process.env.AMK_TEST_GRANTED = 'visible';
    process.env.AMK_TEST_SECRET = 'hidden';
    cleanups.push(() => {
      delete process.env.AMK_TEST_GRANTED;
      delete process.env.AMK_TEST_SECRET;
    });
    await expect(call(kernel, 'env_get', { key: 'AMK_TEST_GRANTED' })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED', message: expect.stringContaining('env:AMK_TEST_GRANTED') });
    await kernel.sandbox.grant('tester', 'env_get', 'env:AMK_TEST_GRANTED', 'session');
    expect(await call(kernel, 'env_get', { key: 'AMK_TEST_GRANTED' })).toEqual({ key: 'AMK_TEST_GRANTED', value: 'visible', set: true });
    await expect(call(kernel, 'env_get', { key: 'AMK_TEST_SECRET' })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
    const denied = kernel.audit.query({ outcome: 'denied' }).filter((record) => record.capability === 'env:AMK_TEST_SECRET');
    expect(denied.length).toBeGreaterThan(0);
  });
});

describe('agents message each other through the sandbox', () => {
  it('send_message reaches the live process of another agent only with an ipc: grant', async () => {
    const { kernel, events } = await sandboxKernel();
    const agent = (id: string) => ({ id, name: id, description: 'waits', systemPrompt: 'Wait.', kind: 'background', tools: ['send_message'], model: { maxSteps: 100 } });
    const sender = kernel.spawn(agent('planner'), 'plan');
    kernel.suspend(sender.pid);
    const receiver = kernel.spawn(agent('worker'), 'work');
    kernel.suspend(receiver.pid);
    const context = {
      pid: sender.pid,
      agentId: 'planner',
      agentName: 'planner',
      policy: 'strict' as const,
      signal: new AbortController().signal,
      syscall: (request: Parameters<typeof kernel.dispatcher.dispatch>[1]) => kernel.dispatcher.dispatch(sender.pid, request, new AbortController().signal),
    };
    await expect(kernel.tools.invoke('send_message', { to: 'worker', text: 'start on part 2' }, context)).rejects.toMatchObject({
      code: 'CAPABILITY_DENIED',
      message: expect.stringContaining('ipc:worker'),
    });
    await kernel.sandbox.grant('planner', 'send_message', 'ipc:worker', 'session');
    expect(await kernel.tools.invoke('send_message', { to: 'worker', text: 'start on part 2' }, context)).toEqual({ to: receiver.pid, queued: 1 });
    expect(events.find((event) => event.type === 'ipc.message')).toMatchObject({ from: `planner (pid ${sender.pid})`, to: receiver.pid, text: 'start on part 2' });
    // The grant names one agent: it does not reach others, and a finished agent has no mailbox.
    await expect(kernel.tools.invoke('send_message', { to: 'someone-else', text: 'hi' }, context)).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
    kernel.kill(receiver.pid);
    await expect(kernel.tools.invoke('send_message', { to: 'worker', text: 'anyone?' }, context)).rejects.toMatchObject({ message: expect.stringContaining('no live process of agent "worker"') });
    kernel.kill(sender.pid);
  });
});

describe('security: every escape is contained, reported, audited, and the kernel keeps serving', () => {
  it('an infinite loop is killed within its budget; the next call gets a fresh instance', async () => {
    const { kernel } = await sandboxKernel();
    const started = performance.now();
    await expect(call(kernel, 'fixture_spin', {})).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('500 ms time budget') });
    // Generous bound: it was stopped, not left running (the budget is 500 ms).
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(call(kernel, 'fixture_spin', {})).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(await call(kernel, 'calculator', { expression: '1+1' })).toEqual({ value: 2 });
    expect(kernel.audit.query({ name: 'fixture_spin', kind: 'tool' }).map((r) => r.outcome)).toEqual(['timeout', 'timeout']);
  });

  it('a memory bomb stops at its limit', async () => {
    const { kernel } = await sandboxKernel();
    await expect(call(kernel, 'fixture_membomb', {})).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('fixture_membomb crashed') });
    expect(await call(kernel, 'calculator', { expression: '2*2' })).toEqual({ value: 4 });
  });

  it('an output flood, a trap and a malformed call are contained', async () => {
    const { kernel } = await sandboxKernel();
    await expect(call(kernel, 'fixture_flood', {})).rejects.toMatchObject({ message: expect.stringMatching(/produced \d+ bytes of output, over its 65536-byte limit/) });
    await expect(call(kernel, 'fixture_trap', {})).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('unreachable') });
    const before = kernel.audit.query({ kind: 'tool' }).length;
    await expect(call(kernel, 'calculator', { expression: 42 })).rejects.toMatchObject({ code: 'INVALID_TOOL_ARGS' });
    // Rejected before the plugin ran: no tool execution was recorded.
    expect(kernel.audit.query({ kind: 'tool' }).length).toBe(before);
  });

  it('a host not granted is denied, and so is a plugin reaching for another host than its arguments name', async () => {
    const { kernel } = await sandboxKernel();
    const server = await startHttpFixture();
    cleanups.push(server.close);
    await expect(call(kernel, 'http_get', { url: `${server.url}/x` })).rejects.toMatchObject({
      code: 'CAPABILITY_DENIED',
      message: expect.stringContaining(`net:127.0.0.1:${server.port}`),
    });
    expect(server.requests).toEqual([]);
    await kernel.sandbox.grant('tester', '*', `net:127.0.0.1:${server.port}`, 'session');
    await expect(call(kernel, 'fixture_sneaky', { url: `${server.url}/ok` })).rejects.toMatchObject({ message: expect.stringContaining('not granted net:exfiltrate.invalid') });
    await expect(call(kernel, 'http_get', { url: `${server.url}/redirect-out` })).rejects.toMatchObject({ message: expect.stringContaining('net:exfiltrate.invalid') });
    const denials = kernel.audit.query({ outcome: 'denied', kind: 'capability' });
    expect(denials.map((r) => r.capability)).toEqual([`net:127.0.0.1:${server.port}`, 'net:exfiltrate.invalid', 'net:exfiltrate.invalid']);
  });

  it('path traversal and a symlink out of a granted folder are denied', async () => {
    const { kernel } = await sandboxKernel();
    const root = tempDir();
    cleanups.push(root.dispose);
    const granted = join(root.path, 'granted');
    mkdirSync(granted);
    writeFileSync(join(root.path, 'secret.txt'), 'top secret');
    writeFileSync(join(granted, 'ok.txt'), 'fine');
    symlinkSync(join(root.path, 'secret.txt'), join(granted, 'link.txt'));
    await kernel.sandbox.grant('tester', '*', `fs:read:${granted}`, 'session');
    expect(await call(kernel, 'file_read', { path: join(granted, 'ok.txt') })).toMatchObject({ content: 'fine' });
    await expect(call(kernel, 'file_read', { path: `${granted}/../secret.txt` })).rejects.toMatchObject({ code: 'CAPABILITY_DENIED' });
    await expect(call(kernel, 'file_read', { path: join(granted, 'link.txt') })).rejects.toMatchObject({
      code: 'CAPABILITY_DENIED',
      message: expect.stringContaining(join(root.path, 'secret.txt')),
    });
    // Searching the granted folder does not follow the link out of it.
    const found = (await call(kernel, 'file_search', { path: granted, query: 'secret' })) as { matches: unknown[] };
    expect(found.matches).toEqual([]);
  });

  it('refuses a plugin whose bytes differ from the pinned hash, and one with unbounded memory', async () => {
    const copy = tempDir();
    cleanups.push(copy.dispose);
    cpSync(TOOLS, copy.path, { recursive: true });
    const file = join(copy.path, 'calculator.wasm');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(file, bytes);
    const load = loadCatalog(copy.path);
    expect(load.refused).toEqual([{ tool: 'calculator', reason: expect.stringContaining('do not match the pinned sha256') }]);
    expect(load.plugins.map((p) => p.manifest.name)).not.toContain('calculator');
    expect(loadCatalog(FIXTURES).refused).toContainEqual({ tool: 'fixture_unbounded', reason: expect.stringContaining('declares no maximum') });
    const { kernel } = await sandboxKernel();
    expect(kernel.info().warnings).toContainEqual(expect.stringContaining('fixture_unbounded'));
    expect(kernel.tools.has('fixture_unbounded')).toBe(false);
  });

  it('asks the user, groups identical asks, and a grant revoked between two calls asks again', async () => {
    const { kernel, events } = await sandboxKernel();
    const server = await startHttpFixture();
    cleanups.push(server.close);
    const detach = kernel.sandbox.broker.attachApprover();
    cleanups.push(detach);
    const url = `${server.url}/data`;
    const first = call(kernel, 'http_get', { url });
    const second = call(kernel, 'http_get', { url });
    await expect.poll(() => kernel.sandbox.broker.list()).toEqual([expect.objectContaining({ count: 2, capability: `net:127.0.0.1:${server.port}`, risk: 'medium' })]);
    const [request] = kernel.sandbox.broker.list();
    kernel.sandbox.decide(request!.id, 'allow-session');
    await expect(first).resolves.toMatchObject({ status: 200 });
    await expect(second).resolves.toMatchObject({ status: 200 });
    expect(events.filter((e) => e.type === 'grant.requested').length).toBe(2);
    await expect(call(kernel, 'http_get', { url })).resolves.toMatchObject({ status: 200 });
    const [grant] = kernel.sandbox.grants.list();
    kernel.sandbox.revoke(grant!.id);
    const third = call(kernel, 'http_get', { url });
    await expect.poll(() => kernel.sandbox.broker.list().length).toBe(1);
    kernel.sandbox.decide(kernel.sandbox.broker.list()[0]!.id, 'deny');
    await expect(third).rejects.toMatchObject({ code: 'CAPABILITY_DENIED', message: expect.stringContaining('the user denied it') });
  });

  it('allow once is used up by one call; a compute-only agent is denied without asking', async () => {
    const { kernel } = await sandboxKernel();
    const server = await startHttpFixture();
    cleanups.push(server.close);
    const detach = kernel.sandbox.broker.attachApprover();
    cleanups.push(detach);
    const once = call(kernel, 'http_get', { url: `${server.url}/a` });
    await expect.poll(() => kernel.sandbox.broker.list().length).toBe(1);
    kernel.sandbox.decide(kernel.sandbox.broker.list()[0]!.id, 'allow-once');
    await expect(once).resolves.toMatchObject({ status: 200 });
    expect(kernel.sandbox.grants.list()).toEqual([]);
    await expect(call(kernel, 'http_get', { url: `${server.url}/b` }, 'calc-only', 'compute-only')).rejects.toMatchObject({
      message: expect.stringContaining("sandbox policy does not allow it"),
    });
    expect(kernel.sandbox.broker.list()).toEqual([]);
  });

  it('the audit log is hash-chained: tampering is detected, and the kernel starts a new chain beside the evidence', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const first = await bootTestKernel(dir.path);
    await first.tools.invoke('calculator', { expression: '1+2' }, { pid: 1, agentId: 'a', agentName: 'A', policy: 'strict', signal: new AbortController().signal });
    await expect(first.tools.invoke('http_get', { url: 'http://127.0.0.1:9/' }, { pid: 1, agentId: 'a', agentName: 'A', policy: 'strict', signal: new AbortController().signal })).rejects.toThrow();
    expect(await first.audit.verify()).toEqual({ ok: true, records: 2, problem: null });
    await first.dispose();
    const path = join(dir.path, 'audit', 'audit.jsonl');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"outcome":"denied"', '"outcome":"allowed"'));
    const second = await bootTestKernel(dir.path);
    cleanups.push(() => second.dispose());
    expect(second.info().warnings).toContainEqual(expect.stringMatching(/audit log: record 2 \(line 2\) is forged or edited.* set aside as .*tampered/));
    expect(await second.audit.verify()).toMatchObject({ ok: true, records: 0 });
  });
});

describe('a real agent through the syscall path', () => {
  const fetcher = (url: string) => ({
    id: 'fetcher',
    name: 'Fetcher',
    description: 'fetches one URL',
    systemPrompt: 'Fetch the page.',
    kind: 'background',
    tools: ['http_get'],
    toolArgs: { http_get: { url: { enum: [url] } } },
    model: { maxSteps: 2, maxTokensPerStep: 96, toolFirst: true },
  });

  it('the model can only call the tool with the arguments its manifest allows; a denied call reaches the agent as a clear error', async () => {
    const { kernel, events } = await sandboxKernel();
    const server = await startHttpFixture();
    cleanups.push(server.close);
    const { pid } = kernel.spawn(fetcher(`${server.url}/page`), 'Fetch it.');
    await kernel.wait(pid, 60_000);
    const call = events.find((e) => e.type === 'proc.step' && e.pid === pid);
    expect(call).toMatchObject({ action: { type: 'tool', tool: 'http_get', args: { url: `${server.url}/page` } } });
    expect(kernel.transcript(pid)).toContainEqual(
      expect.objectContaining({ kind: 'tool-result', ok: false, error: expect.objectContaining({ code: 'CAPABILITY_DENIED' }) }),
    );
    expect(server.requests).toEqual([]);
    expect(kernel.audit.query({ pid, kind: 'syscall' })[0]).toMatchObject({ name: 'tool.call http_get', outcome: 'denied' });
  });

  it('with the user allowing it, the call goes through, the process is blocked while it waits, and the audit shows both', async () => {
    const { kernel, events } = await sandboxKernel();
    const server = await startHttpFixture();
    cleanups.push(server.close);
    cleanups.push(kernel.sandbox.broker.attachApprover());
    const { pid } = kernel.spawn(fetcher(`${server.url}/page`), 'Fetch it.');
    await expect.poll(() => kernel.sandbox.broker.list().length, { timeout: 30_000 }).toBe(1);
    expect(kernel.table.get(pid)).toMatchObject({ state: 'blocked' });
    kernel.sandbox.decide(kernel.sandbox.broker.list()[0]!.id, 'allow-session');
    await expect.poll(() => server.requests, { timeout: 30_000 }).toEqual(['GET /page']);
    await kernel.wait(pid, 60_000);
    expect(events.find((e) => e.type === 'proc.tool-result' && e.pid === pid)).toMatchObject({ ok: true, value: { status: 200 } });
    expect(kernel.audit.query({ pid }).map((r) => `${r.kind}:${r.outcome}`)).toEqual(expect.arrayContaining(['capability:allowed', 'tool:ok', 'syscall:ok']));
  });
});
