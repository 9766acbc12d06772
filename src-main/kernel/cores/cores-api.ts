import type { ApiRegistry } from '../core/api-registry.js';
import type { CorePool } from './core-pool.js';

/** `cores.*`: the user's view of where inference runs (never reachable by an agent or an MCP client's tools). */
export function registerCoresApi(registry: ApiRegistry, pool: CorePool): void {
  registry.register({
    'cores.list': () => pool.list(),
    'cores.add': (params) => pool.add(params),
    'cores.remove': async (params) => (await pool.remove(params.name), { ok: true }),
  });
}
