import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_IDENTITY, KernelError } from '../kernel/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { createKernelMcpSession } from './kernel-mcp-session.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ENDLESS = { id: 'endless', name: 'Endless', description: 'loops on tools', systemPrompt: 'Compute things.', kind: 'background', tools: ['calculator'], model: { maxSteps: 1000 } };

function json(result: unknown): Record<string, unknown> {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return JSON.parse(content[0]!.text) as Record<string, unknown>;
}

describe('wait_process (the kernel wait, through MCP)', () => {
  it('says exited: false when the time runs out, true once the process exits; the kernel wait can be cancelled', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const kernel = await bootTestKernel(dir.path);
    cleanups.push(() => kernel.dispose());
    const session = createKernelMcpSession(kernel, 'stdio', ADMIN_IDENTITY);
    cleanups.push(() => session.close());
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await session.server.connect(serverSide);
    const client = new Client({ name: 'wait-test', version: '1.0.0' });
    await client.connect(clientSide);
    cleanups.push(() => client.close());

    const spawned = json(await client.callTool({ name: 'spawn_agent', arguments: { manifest: ENDLESS, task: 'count' } }));
    const pid = (spawned.process as { pid: number } | undefined)?.pid ?? (spawned.pid as number);
    // Suspended at once: it cannot exit until it is killed.
    kernel.suspend(pid);
    const timedOut = json(await client.callTool({ name: 'wait_process', arguments: { pid, timeoutMs: 50 } }));
    expect(timedOut.exited).toBe(false);
    expect((timedOut.process as { state: string }).state).toBe('suspended');

    const cancel = new AbortController();
    const cancelled = kernel.wait(pid, undefined, cancel.signal);
    cancel.abort();
    await expect(cancelled).rejects.toBeInstanceOf(KernelError);
    await expect(cancelled).rejects.toThrow(`the wait for process ${pid} was cancelled`);

    const waiting = client.callTool({ name: 'wait_process', arguments: { pid, timeoutMs: 600_000 } });
    kernel.kill(pid);
    const exited = json(await waiting);
    expect(exited.exited).toBe(true);
    expect((exited.process as { state: string }).state).toBe('exited');
  });
});
