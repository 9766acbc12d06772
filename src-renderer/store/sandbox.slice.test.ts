// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { KernelClient } from '../../src-shared/index.js';
import { auditRecord, grantRequest, stamp } from '../test-support/kernel-fixtures.js';
import { createKernelStore } from './kernel-store.js';
import { AUDIT_LIMIT } from './sandbox.slice.js';
import { selectCurrentRequest, selectDenialCount, selectGrantIds, selectVisibleAudit, selectWaitingRequestCount } from './sandbox.selectors.js';

const grant = (id: string, grantedAt: number) => ({
  id,
  agentId: 'fetcher',
  tool: '*',
  capability: 'net:127.0.0.1:8080',
  scope: 'session' as const,
  grantedAt,
  uses: 0,
  lastUsedAt: null,
});

describe('sandbox slice', () => {
  it('queues grant requests oldest first, updates a grouped one in place, and drops decided ones', () => {
    const store = createKernelStore();
    store.getState().ingest([
      stamp({ type: 'grant.requested', request: grantRequest('r1') }),
      stamp({ type: 'grant.requested', request: grantRequest('r2', { agentId: 'other', agentName: 'Other' }) }),
      stamp({ type: 'grant.requested', request: grantRequest('r1', { count: 3 }) }),
    ]);
    expect(store.getState().sandbox.requests.map((request) => `${request.id}×${request.count}`)).toEqual(['r1×3', 'r2×1']);
    expect(selectCurrentRequest(store.getState())?.id).toBe('r1');

    store.getState().ingest([stamp({ type: 'grant.decided', requestId: 'r1', decision: 'deny', by: 'timeout' })]);
    expect(selectCurrentRequest(store.getState())?.id).toBe('r2');
    expect(selectWaitingRequestCount(store.getState())).toBe(1);
  });

  it('skips a request this page is answering until the kernel confirms the decision', async () => {
    const store = createKernelStore();
    let answer: (value: unknown) => void = () => {};
    const call = vi.fn(() => new Promise((resolve) => (answer = resolve)));
    store.getState().connectionOpened({ call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient);
    store.getState().ingest([stamp({ type: 'grant.requested', request: grantRequest('r1') }), stamp({ type: 'grant.requested', request: grantRequest('r2') })]);

    const decided = store.getState().decideGrant('r1', 'allow-session');
    expect(call).toHaveBeenCalledWith('grants.decide', { requestId: 'r1', decision: 'allow-session' });
    expect(selectCurrentRequest(store.getState())?.id).toBe('r2');
    answer(grantRequest('r1'));
    await expect(decided).resolves.toBe(true);
    // The reply can come before the event: r1 must not flash back in between.
    expect(selectCurrentRequest(store.getState())?.id).toBe('r2');
    store.getState().ingest([stamp({ type: 'grant.decided', requestId: 'r1', decision: 'allow-session', by: 'user' })]);
    expect(store.getState().sandbox.requests.map((request) => request.id)).toEqual(['r2']);
  });

  it('shows a request again when the kernel refused the answer', async () => {
    const store = createKernelStore();
    const call = vi.fn(() => Promise.reject(new Error('no pending grant request r1 (answered, or timed out)')));
    store.getState().connectionOpened({ call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient);
    store.getState().ingest([stamp({ type: 'grant.requested', request: grantRequest('r1') })]);
    await expect(store.getState().decideGrant('r1', 'deny')).resolves.toBe(false);
    expect(selectCurrentRequest(store.getState())?.id).toBe('r1');
    expect(store.getState().errors.map((error) => error.message)).toEqual(['no pending grant request r1 (answered, or timed out)']);
  });

  it('tracks grants through added, used and revoked, newest first', () => {
    const store = createKernelStore();
    store.getState().ingest([
      stamp({ type: 'grant.added', grant: grant('g1', 100) }),
      stamp({ type: 'grant.added', grant: grant('g2', 200) }),
      stamp({ type: 'grant.used', grantId: 'g1', uses: 4 }, 5_000),
    ]);
    expect(selectGrantIds(store.getState())).toEqual(['g2', 'g1']);
    expect(store.getState().sandbox.grants.g1).toMatchObject({ uses: 4, lastUsedAt: 5_000 });
    store.getState().ingest([stamp({ type: 'grant.revoked', grantId: 'g2' })]);
    expect(selectGrantIds(store.getState())).toEqual(['g1']);
  });

  it('streams the audit log newest first, filters by text and outcome (timeouts count as denials), and caps it', () => {
    const store = createKernelStore();
    const records = [
      auditRecord({ outcome: 'allowed' }),
      auditRecord({ outcome: 'denied', reason: 'the user denied it' }),
      auditRecord({ outcome: 'timeout', agentId: 'slowpoke' }),
      auditRecord({ kind: 'tool', name: 'calculator', capability: null, outcome: 'ok', agentId: 'looper' }),
    ];
    store.getState().ingest(records.map((record) => stamp({ type: 'audit.appended', record })));
    // The same record twice (a replayed event) is kept once.
    store.getState().ingest([stamp({ type: 'audit.appended', record: records[3]! })]);

    expect(selectVisibleAudit(store.getState()).map((record) => record.seq)).toEqual(records.map((record) => record.seq).reverse());
    store.getState().setAuditFilter({ outcome: 'denied' });
    expect(selectVisibleAudit(store.getState()).map((record) => record.outcome)).toEqual(['timeout', 'denied']);
    store.getState().setAuditFilter({ outcome: 'all', text: 'CALCULATOR' });
    expect(selectVisibleAudit(store.getState()).map((record) => record.agentId)).toEqual(['looper']);

    const flood = Array.from({ length: AUDIT_LIMIT + 5 }, () => stamp({ type: 'audit.appended', record: auditRecord() }));
    store.getState().ingest(flood);
    expect(store.getState().sandbox.audit).toHaveLength(AUDIT_LIMIT);
  });

  it('counts denials and timeouts, not revokes, in the denied badge; revokes have their own filter', () => {
    const store = createKernelStore();
    store.getState().ingest([
      stamp({ type: 'audit.appended', record: auditRecord({ seq: 1, outcome: 'denied' }) }),
      stamp({ type: 'audit.appended', record: auditRecord({ seq: 2, kind: 'grant', outcome: 'revoked', reason: 'revoked by the user (g-1)' }) }),
      stamp({ type: 'audit.appended', record: auditRecord({ seq: 3, outcome: 'timeout' }) }),
    ]);
    expect(selectDenialCount(store.getState())).toBe(2);
    store.getState().setAuditFilter({ outcome: 'revoked' });
    expect(selectVisibleAudit(store.getState()).map((record) => record.seq)).toEqual([2]);
  });

  it('keeps a standing deny with the grants, and drops it when revoked', () => {
    const store = createKernelStore();
    store.getState().ingest([stamp({ type: 'grant.added', grant: { ...grant('d-1', 5), effect: 'deny', scope: 'always' } })]);
    expect(selectGrantIds(store.getState())).toEqual(['d-1']);
    expect(store.getState().sandbox.grants['d-1']?.effect).toBe('deny');
    store.getState().ingest([stamp({ type: 'grant.revoked', grantId: 'd-1' })]);
    expect(selectGrantIds(store.getState())).toEqual([]);
  });
});
