import type { AuditRecord, Capability, Grant, GrantDecision, GrantRequest, GrantScope, KernelEvent } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/** The audit stream keeps this many records on the page; the kernel keeps them all. */
export const AUDIT_LIMIT = 1000;

export type GrantTable = Readonly<Record<string, Grant>>;

export interface SandboxState {
  grants: GrantTable;
  /** Requests waiting for the user, oldest first: the dialog answers them one at a time. */
  requests: readonly GrantRequest[];
  /** The audit log, oldest first. */
  audit: readonly AuditRecord[];
}

export interface ApprovedCapability {
  capability: Capability;
  scope: GrantScope;
}

export interface SandboxSlice {
  sandbox: SandboxState;
  /**
   * Requests answered from this page: the dialog moves past them at once rather than waiting for
   * the kernel's `grant.decided`. An entry goes only if the kernel refused the answer.
   */
  deciding: Readonly<Record<string, GrantDecision>>;
  revokeGrant(grantId: string): Promise<boolean>;
  decideGrant(requestId: string, decision: GrantDecision): Promise<boolean>;
  /** Grants an agent's requested capabilities ahead of any request; resolves to whether all were granted. */
  addGrants(agentId: string, approved: readonly ApprovedCapability[]): Promise<boolean>;
}

export const emptySandbox: SandboxState = { grants: {}, requests: [], audit: [] };

export function sandboxOf(grants: readonly Grant[], requests: readonly GrantRequest[], audit: readonly AuditRecord[]): SandboxState {
  return {
    grants: Object.fromEntries(grants.map((grant) => [grant.id, grant])),
    requests: [...requests].sort((a, b) => a.requestedAt - b.requestedAt),
    audit: audit.slice(-AUDIT_LIMIT),
  };
}

function upsertRequest(requests: readonly GrantRequest[], request: GrantRequest): readonly GrantRequest[] {
  const index = requests.findIndex((entry) => entry.id === request.id);
  if (index === -1) return [...requests, request];
  return requests.map((entry, at) => (at === index ? request : entry));
}

export function applySandboxEvent(state: SandboxState, event: KernelEvent): SandboxState {
  switch (event.type) {
    case 'grant.requested':
      return { ...state, requests: upsertRequest(state.requests, event.request) };
    case 'grant.decided':
      if (!state.requests.some((request) => request.id === event.requestId)) return state;
      return { ...state, requests: state.requests.filter((request) => request.id !== event.requestId) };
    case 'grant.added':
      return { ...state, grants: { ...state.grants, [event.grant.id]: event.grant } };
    case 'grant.revoked': {
      if (!state.grants[event.grantId]) return state;
      const { [event.grantId]: _revoked, ...grants } = state.grants;
      return { ...state, grants };
    }
    case 'grant.used': {
      const grant = state.grants[event.grantId];
      if (!grant) return state;
      return { ...state, grants: { ...state.grants, [grant.id]: { ...grant, uses: event.uses, lastUsedAt: event.at } } };
    }
    case 'audit.appended':
      if (state.audit.at(-1)?.seq === event.record.seq) return state;
      return { ...state, audit: [...state.audit, event.record].slice(-AUDIT_LIMIT) };
    default:
      return state;
  }
}

export const createSandboxSlice: SliceCreator<SandboxSlice> = (set, get) => ({
  sandbox: emptySandbox,
  deciding: {},
  revokeGrant: async (grantId) => (await get().callKernel('grants.revoke', { grantId })) !== undefined,
  decideGrant: async (requestId, decision) => {
    set((state) => ({ deciding: { ...state.deciding, [requestId]: decision } }), false, 'sandbox/decide');
    const answered = await get().callKernel('grants.decide', { requestId, decision });
    if (answered !== undefined) return true;
    set(
      (state) => {
        const { [requestId]: _refused, ...deciding } = state.deciding;
        return { deciding };
      },
      false,
      'sandbox/decide-refused',
    );
    return false;
  },
  addGrants: async (agentId, approved) => {
    for (const { capability, scope } of approved) {
      const grant = await get().callKernel('grants.add', { agentId, tool: '*', capability, scope });
      if (!grant) return false;
    }
    return true;
  },
});
