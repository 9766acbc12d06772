import type { ApiRegistry } from './api-registry.js';
import type { AuditLog } from './audit-log.js';

export function registerAuditApi(registry: ApiRegistry, audit: AuditLog): void {
  registry.register({
    'audit.query': (params) => audit.query(params),
    'audit.verify': () => audit.verify(),
  });
}
