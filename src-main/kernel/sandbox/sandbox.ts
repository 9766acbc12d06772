import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Grant, GrantDecision, GrantRequest, GrantScope, KernelEventBody } from '../../../src-shared/index.js';
import type { AuditLog } from '../core/audit-log.js';
import type { Disposable } from '../core/disposable.js';
import { loadOrCreateKernelKey } from '../core/kernel-key.js';
import { normalizeGrantCapability } from './capability-check.js';
import { GrantBroker } from './grant-broker.js';
import { GrantStore } from './grant-store.js';
import { loadCatalog } from './plugin-catalog.js';
import { WasmToolProvider } from './wasm-tool-provider.js';

export interface SandboxOptions {
  dataDir: string;
  /** Folders holding a plugin `catalog.json` and the plugins it pins. */
  toolDirs: readonly string[];
  grantTimeoutMs: number;
  audit: AuditLog;
  emit: (body: KernelEventBody) => void;
}

/** The data directory as file checks see it (symlinks resolved), so no spelling of it slips through. */
function realDataDir(dataDir: string): string {
  try {
    return realpathSync(dataDir);
  } catch {
    return resolve(dataDir);
  }
}

/** The sandbox subsystem: verified plugins, the user's grants, the approval broker. */
export class Sandbox implements Disposable {
  readonly grants: GrantStore;
  readonly broker: GrantBroker;
  readonly provider: WasmToolProvider;
  readonly warnings: string[] = [];

  constructor(private readonly options: SandboxOptions) {
    this.grants = new GrantStore(join(options.dataDir, 'grants.json'), options.emit, loadOrCreateKernelKey(options.dataDir), [realDataDir(options.dataDir)]);
    this.warnings.push(...this.grants.loadProblems);
    this.broker = new GrantBroker(options.emit, options.grantTimeoutMs);
    const plugins = [];
    for (const directory of options.toolDirs) {
      const load = loadCatalog(directory);
      plugins.push(...load.plugins);
      for (const refused of load.refused) this.warnings.push(`tool ${refused.tool}: ${refused.reason}`);
    }
    this.provider = new WasmToolProvider(plugins, { grants: this.grants, broker: this.broker, audit: options.audit });
  }

  /** Grants come only from the user: this is reached from the API, never from an agent's syscall. */
  async grant(agentId: string, tool: string, capability: string, scope: GrantScope): Promise<Grant> {
    const grant = this.grants.add(agentId, tool, await normalizeGrantCapability(capability), scope);
    this.options.audit.append({
      pid: null,
      agentId,
      kind: 'grant',
      name: tool,
      argsDigest: null,
      capability: grant.capability,
      outcome: 'allowed',
      reason: `granted by the user (${scope}, ${grant.id})`,
      resultBytes: null,
      durationMs: null,
    });
    return grant;
  }

  revoke(grantId: string): void {
    const grant = this.grants.list().find((candidate) => candidate.id === grantId);
    this.grants.revoke(grantId);
    this.options.audit.append({
      pid: null,
      agentId: grant?.agentId ?? null,
      kind: 'grant',
      name: grant?.tool ?? '*',
      argsDigest: null,
      capability: grant?.capability ?? null,
      // Its own outcome: a revoke denies nothing an agent asked, so it is not counted with the denials.
      outcome: 'revoked',
      reason: `revoked by the user (${grant?.effect === 'deny' ? 'standing deny ' : ''}${grantId})`,
      resultBytes: null,
      durationMs: null,
    });
  }

  decide(requestId: string, decision: GrantDecision): GrantRequest {
    return this.broker.decide(requestId, decision);
  }

  async dispose(): Promise<void> {
    this.broker.dispose();
    await this.provider.dispose();
  }
}
