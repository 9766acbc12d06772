import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelServer } from '../server/index.js';
import { connectMcpClient, serveWithModel, type ServedWithModel } from './mcp-client-fixture.js';

/**
 * A standing deny ("Never", "Deny for this session") sits in the grant store beside the grants: it
 * must never be read as a grant by anything that scans them (a client's process list, another
 * agent's memory), and once recorded it refuses at once, without asking, with the reason.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const served = (): Promise<ServedWithModel> => serveWithModel(cleanups);

async function mcpClient(server: KernelServer, token: string, claims: string): Promise<Client> {
  return (await connectMcpClient(cleanups, server, token, claims)).client;
}

async function tool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return (result.content[0] as { text: string }).text;
}

describe('standing denies are never grants', () => {
  it("a client the user told \"Never\" to read another's process neither reads it nor sees it as readable, and is not asked again", async () => {
    const { kernel, server, api } = await served();
    const victim = await api.call('mcp.tokens.create', { name: 'victim' });
    const reader = await api.call('mcp.tokens.create', { name: 'reader' });
    await tool(await mcpClient(server, victim.secret, 'victim'), 'calculator', { expression: '1234+1' });
    const target = kernel.listProcesses().find((p) => p.agentId === 'mcp-client-victim')!;
    const client = await mcpClient(server, reader.secret, 'reader');

    await api.call('grants.attach', {});
    const asked = tool(client, 'read_result', { pid: target.pid });
    await expect.poll(() => api.call('grants.pending', {}), { timeout: 30_000 }).toHaveLength(1);
    const [request] = await api.call('grants.pending', {});
    expect(request).toMatchObject({ agentId: 'mcp-client-reader', capability: `proc:read:${target.pid}` });
    await api.call('grants.decide', { requestId: request!.id, decision: 'deny-always' });
    expect(text(await asked)).toMatch(/CAPABILITY_DENIED.*the user denied it \(never\)/);

    // The deny is in the store the process list scans for proc:read grants: it must not count as one.
    expect(await api.call('grants.list', {})).toEqual([expect.objectContaining({ effect: 'deny', scope: 'always', capability: `proc:read:${target.pid}` })]);
    const listed = (await tool(client, 'list_processes', {})).structuredContent as { processes: { pid: number; readable: boolean }[] };
    expect(listed.processes.find((p) => p.pid === target.pid)).toMatchObject({ readable: false });

    // Asked again, it is refused at once: nobody is asked, and the audit says why.
    expect(text(await tool(client, 'read_result', { pid: target.pid }))).toMatch(/CAPABILITY_DENIED.*refused by standing deny d-/);
    expect(await api.call('grants.pending', {})).toEqual([]);
    expect(kernel.audit.query({ agentId: 'mcp-client-reader', kind: 'capability', outcome: 'denied' }).at(-1)?.reason).toMatch(/by standing deny/);

    // The kernel answers the next valid request.
    expect(await tool(client, 'calculator', { expression: '6*7' })).toMatchObject({ structuredContent: { value: 42 } });
  });

  it('a decision outside the contract is refused at the API with a field-named error, and the request still waits', async () => {
    const { kernel, server, api } = await served();
    const token = await api.call('mcp.tokens.create', { name: 'asker' });
    const client = await mcpClient(server, token.secret, 'asker');
    const victim = await api.call('mcp.tokens.create', { name: 'other' });
    await tool(await mcpClient(server, victim.secret, 'other'), 'calculator', { expression: '1+1' });
    const target = kernel.listProcesses().find((p) => p.agentId === 'mcp-client-other')!;
    await api.call('grants.attach', {});
    const asked = tool(client, 'read_result', { pid: target.pid });
    await expect.poll(() => api.call('grants.pending', {}), { timeout: 30_000 }).toHaveLength(1);
    const [request] = await api.call('grants.pending', {});
    await expect(api.call('grants.decide', { requestId: request!.id, decision: 'deny-forever' as 'deny' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await api.call('grants.pending', {})).toHaveLength(1);
    await api.call('grants.decide', { requestId: request!.id, decision: 'deny' });
    expect(text(await asked)).toMatch(/CAPABILITY_DENIED.*the user denied it/);
    expect(await api.call('grants.list', {})).toEqual([]);
  });
});
