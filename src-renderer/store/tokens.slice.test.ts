// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { ClientToken, KernelClient } from '../../src-shared/index.js';
import { createKernelStore } from './kernel-store.js';

/** A kernel that keeps tokens in a list, answering the three token methods as the real one does. */
function tokenKernel(): KernelClient {
  let tokens: ClientToken[] = [];
  const call = (method: string, params: { name?: string }): Promise<unknown> => {
    if (method === 'mcp.tokens.list') return Promise.resolve(tokens);
    if (method === 'mcp.tokens.create') {
      const token = { name: params.name!, agentId: `mcp-client-${params.name!}`, createdAt: 1, lastUsedAt: null };
      tokens = [...tokens, token];
      return Promise.resolve({ token, secret: `amkc_secret-of-${params.name!}` });
    }
    if (method === 'mcp.tokens.revoke') {
      if (!tokens.some((t) => t.name === params.name)) return Promise.reject(new Error(`no MCP client token named "${params.name!}"`));
      tokens = tokens.filter((t) => t.name !== params.name);
      return Promise.resolve({ ok: true });
    }
    return Promise.reject(new Error(`unexpected ${method}`));
  };
  return { call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient;
}

describe('client tokens slice', () => {
  it('lists tokens, shows a new secret once until dismissed, and drops a revoked one', async () => {
    const store = createKernelStore();
    store.getState().connectionOpened(tokenKernel());
    expect(store.getState().clientTokens.list).toBeNull();
    await store.getState().refreshClientTokens();
    expect(store.getState().clientTokens.list).toEqual([]);

    expect(await store.getState().createClientToken('desk')).toBe(true);
    expect(store.getState().clientTokens).toMatchObject({ list: [{ name: 'desk', agentId: 'mcp-client-desk' }], fresh: { name: 'desk', secret: 'amkc_secret-of-desk' } });
    // The list never carries the secret.
    expect(JSON.stringify(store.getState().clientTokens.list)).not.toContain('amkc_');
    store.getState().dismissClientTokenSecret();
    expect(store.getState().clientTokens.fresh).toBeNull();

    expect(await store.getState().revokeClientToken('desk')).toBe(true);
    expect(store.getState().clientTokens.list).toEqual([]);
    expect(await store.getState().revokeClientToken('desk')).toBe(false);
  });
});
