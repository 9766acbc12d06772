import { join } from 'node:path';
import type { ClientToken } from '../../../src-shared/index.js';
import { ADMIN_CLIENT_NAME, clientAgentId } from '../../../src-shared/index.js';
import type { AuditLog } from '../core/audit-log.js';
import { KernelError } from '../core/kernel-error.js';
import { loadOrCreateKernelKey } from '../core/kernel-key.js';
import { ClientTokenStore } from './client-tokens.js';

/** Who an MCP session is: decided by the token it presented, never by what the client says. */
export interface ClientIdentity {
  /** The token's name, or `admin` for the administrator's token. */
  readonly name: string;
  /** The agent id its process runs as; grants follow it. */
  readonly agentId: string;
  readonly admin: boolean;
}

/** A session opened with the administrator's token (or the in-process `amk mcp`, run by the user). */
export const ADMIN_IDENTITY: ClientIdentity = { name: ADMIN_CLIENT_NAME, agentId: clientAgentId(ADMIN_CLIENT_NAME), admin: true };

export function tokenIdentity(token: ClientToken): ClientIdentity {
  return { name: token.name, agentId: token.agentId, admin: false };
}

const MAX_AGENT_ID = 64;

/**
 * MCP clients' access: their tokens, and which kernel processes each client started (those are
 * its own: it reads and feeds them without a grant). Ownership lasts while the kernel runs.
 */
export class ClientAccess {
  readonly tokens: ClientTokenStore;
  private readonly spawnedBy = new Map<number, string>();

  constructor(
    dataDir: string,
    private readonly audit: AuditLog,
  ) {
    this.tokens = new ClientTokenStore(join(dataDir, 'mcp-tokens.json'), loadOrCreateKernelKey(dataDir));
  }

  /** The API's token creation (the administrator's), audited; the secret is in the answer only. */
  createToken(name: string): { token: ClientToken; secret: string } {
    const made = this.tokens.create(name);
    this.record('mcp.tokens.create', made.token.agentId, `made the MCP client token ${name}: its sessions run as ${made.token.agentId}`);
    return made;
  }

  /** The API's revocation, audited: the token is refused from now on and its sessions end. */
  revokeToken(name: string): void {
    this.tokens.revoke(name);
    this.record('mcp.tokens.revoke', clientAgentId(name), `revoked the MCP client token ${name}`);
  }

  private record(name: string, agentId: string, reason: string): void {
    this.audit.append({ pid: null, agentId, kind: 'grant', name, argsDigest: null, capability: null, outcome: 'ok', reason, resultBytes: null, durationMs: null });
  }

  recordSpawn(pid: number, agentId: string): void {
    this.spawnedBy.set(pid, agentId);
  }

  /** Did the client with this agent id start this process? */
  spawned(agentId: string, pid: number): boolean {
    return this.spawnedBy.get(pid) === agentId;
  }

  /**
   * A manifest a client brings gets an id in the client's own namespace (`NAME--ID`), so it never
   * runs as an installed agent and never inherits that agent's grants or memory.
   */
  namespacedAgentId(identity: ClientIdentity, manifestId: unknown): string {
    const prefix = `${identity.name}--`;
    const id = typeof manifestId === 'string' ? manifestId : '';
    if (id === '') return id; // the manifest's own check says what is missing
    const namespaced = id.startsWith(prefix) ? id : `${prefix}${id}`;
    if (namespaced.length > MAX_AGENT_ID) {
      throw new KernelError('INVALID_MANIFEST', `a client's manifest runs as ${prefix}ID: "${id}" is too long for that (at most ${MAX_AGENT_ID - prefix.length} characters)`);
    }
    return namespaced;
  }
}
