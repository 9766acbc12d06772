import type { ApiRegistry } from '../core/api-registry.js';
import type { McpClients } from './mcp-clients.js';

/** The external MCP servers the user registers (never an agent). */
export function registerMcpApi(registry: ApiRegistry, clients: McpClients): void {
  registry.register({
    'mcp.servers.list': () => clients.list(),
    'mcp.servers.add': ({ approved, ...config }) => clients.register(config, approved === true),
    'mcp.servers.remove': async (params) => (await clients.unregister(params.name), { ok: true }),
  });
}
