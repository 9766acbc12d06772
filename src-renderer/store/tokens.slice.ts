import type { ClientToken } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

export interface ClientTokensState {
  /** The last mcp.tokens.list read; null until the Tokens panel first asks. */
  list: readonly ClientToken[] | null;
  /** The token this page just made: its secret is shown once, until dismissed. Never kept elsewhere. */
  fresh: { name: string; secret: string } | null;
}

/** MCP clients' tokens (the Sandbox view's Tokens panel): not event-driven, read when shown and after each change. */
export interface ClientTokensSlice {
  clientTokens: ClientTokensState;
  refreshClientTokens(): Promise<void>;
  createClientToken(name: string): Promise<boolean>;
  revokeClientToken(name: string): Promise<boolean>;
  dismissClientTokenSecret(): void;
}

export const emptyClientTokens: ClientTokensState = { list: null, fresh: null };

export const createClientTokensSlice: SliceCreator<ClientTokensSlice> = (set, get) => ({
  clientTokens: emptyClientTokens,
  refreshClientTokens: async () => {
    const list = await get().callKernel('mcp.tokens.list', {});
    if (list) set((state) => ({ clientTokens: { ...state.clientTokens, list } }), false, 'tokens/list');
  },
  createClientToken: async (name) => {
    const made = await get().callKernel('mcp.tokens.create', { name });
    if (!made) return false;
    set((state) => ({ clientTokens: { ...state.clientTokens, fresh: { name: made.token.name, secret: made.secret } } }), false, 'tokens/create');
    await get().refreshClientTokens();
    return true;
  },
  revokeClientToken: async (name) => {
    const revoked = await get().callKernel('mcp.tokens.revoke', { name });
    if (!revoked) return false;
    set(
      (state) => ({ clientTokens: { list: state.clientTokens.list?.filter((token) => token.name !== name) ?? null, fresh: state.clientTokens.fresh?.name === name ? null : state.clientTokens.fresh } }),
      false,
      'tokens/revoke',
    );
    return true;
  },
  dismissClientTokenSecret: () => set((state) => ({ clientTokens: { ...state.clientTokens, fresh: null } }), false, 'tokens/dismiss-secret'),
});
