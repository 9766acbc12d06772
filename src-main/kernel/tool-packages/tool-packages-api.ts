import type { ApiRegistry } from '../core/api-registry.js';
import type { ToolPackages } from './tool-packages.js';

/** Third-party tool packages: staging, review, install, trusted publisher keys. */
export function registerToolPackagesApi(registry: ApiRegistry, packages: ToolPackages): void {
  registry.register({
    'tools.stage': (params) => packages.stage(params),
    'tools.install': (params) => packages.install(params.reviewId, params.allowUnsigned ?? false),
    'tools.discard': (params) => (packages.discard(params.reviewId), { ok: true }),
    'tools.installed': () => packages.installed(),
    'tools.remove': async (params) => (await packages.remove(params.name), { ok: true }),
    'tools.keys.list': () => packages.listKeys(),
    'tools.keys.trust': (params) => packages.trustKey(params.publisher, params.publicKey),
    'tools.keys.remove': (params) => (packages.removeKey(params.id), { ok: true }),
  });
}
