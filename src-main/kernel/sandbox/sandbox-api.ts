import type { ApiRegistry } from '../core/api-registry.js';
import type { Sandbox } from './sandbox.js';

/** Grants and the requests waiting for the user. */
export function registerSandboxApi(registry: ApiRegistry, sandbox: Sandbox): void {
  registry.register({
    'grants.list': () => sandbox.grants.list(),
    'grants.add': (params) => sandbox.grant(params.agentId, params.tool, params.capability, params.scope),
    'grants.revoke': (params) => (sandbox.revoke(params.grantId), { ok: true }),
    'grants.pending': () => sandbox.broker.list(),
    'grants.decide': (params) => sandbox.decide(params.requestId, params.decision),
  });
}
