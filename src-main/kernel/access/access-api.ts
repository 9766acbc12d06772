import type { ApiRegistry } from '../core/api-registry.js';
import type { ClientAccess } from './client-access.js';

/** MCP clients' tokens (administrator only). */
export function registerAccessApi(registry: ApiRegistry, access: ClientAccess): void {
  registry.register({
    'mcp.tokens.list': () => access.tokens.list(),
    'mcp.tokens.create': (params) => access.createToken(params.name),
    'mcp.tokens.revoke': (params) => (access.revokeToken(params.name), { ok: true }),
  });
}
