import type { AuditRecord, Grant, GrantRequest } from '../../src-shared/index.js';
import type { KernelStore } from './store-types.js';

/** Sandbox selectors: grants, the requests waiting for the user, and the audit stream. */

/** Grant ids, newest first. */
export const selectGrantIds = (state: KernelStore): string[] =>
  Object.values(state.sandbox.grants)
    .sort((a, b) => b.grantedAt - a.grantedAt || a.id.localeCompare(b.id))
    .map((grant) => grant.id);

export const selectGrant =
  (grantId: string) =>
  (state: KernelStore): Grant | undefined =>
    state.sandbox.grants[grantId];

/** The request the dialog shows: the oldest one this page is not already answering. */
export const selectCurrentRequest = (state: KernelStore): GrantRequest | undefined =>
  state.sandbox.requests.find((request) => state.deciding[request.id] === undefined);

/** Requests still waiting for an answer, the shown one included. */
export const selectWaitingRequestCount = (state: KernelStore): number =>
  state.sandbox.requests.filter((request) => state.deciding[request.id] === undefined).length;

export const selectPendingRequestCount = (state: KernelStore): number => state.sandbox.requests.length;

export const selectAuditFilter = (state: KernelStore) => state.auditFilter;

function auditMatches(record: AuditRecord, needle: string): boolean {
  if (needle === '') return true;
  return [record.name, record.kind, record.outcome, record.reason, record.agentId ?? '', record.capability ?? '', record.pid === null ? '' : String(record.pid)].some(
    (field) => field.toLowerCase().includes(needle),
  );
}

/** The audit records the log shows, newest first; a denial filter includes timeouts (a deny by default). */
export const selectVisibleAudit = (state: KernelStore): AuditRecord[] => {
  const { text, outcome } = state.auditFilter;
  const needle = text.trim().toLowerCase();
  const wanted = (record: AuditRecord): boolean =>
    outcome === 'all' || record.outcome === outcome || (outcome === 'denied' && record.outcome === 'timeout');
  const visible: AuditRecord[] = [];
  for (let index = state.sandbox.audit.length - 1; index >= 0; index -= 1) {
    const record = state.sandbox.audit[index]!;
    if (wanted(record) && auditMatches(record, needle)) visible.push(record);
  }
  return visible;
};

export const selectDenialCount = (state: KernelStore): number =>
  state.sandbox.audit.reduce((count, record) => count + (record.outcome === 'denied' || record.outcome === 'timeout' ? 1 : 0), 0);
