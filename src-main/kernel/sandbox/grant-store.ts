import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Grant, GrantScope, KernelEventBody, ParsedCapability } from '../../../src-shared/index.js';
import { Grant as GrantSchema, parseCapability } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { covers } from './capability-check.js';

/**
 * The user's grants, per agent, tool and capability. `always` grants persist in
 * `<data dir>/grants.json`; `session` grants last until the kernel stops; `once` is used up by one call.
 */
export class GrantStore {
  private readonly grants = new Map<string, Grant>();
  readonly loadProblem: string | null = null;

  constructor(
    private readonly path: string,
    private readonly emit: (body: KernelEventBody) => void,
  ) {
    if (!existsSync(path)) return;
    try {
      const saved = GrantSchema.array().parse(JSON.parse(readFileSync(path, 'utf8')));
      for (const grant of saved) this.grants.set(grant.id, grant);
    } catch (error) {
      // Deny by default: unreadable grants grant nothing; the file is kept for the user to inspect.
      const kept = `${path}.unreadable-${Date.now()}`;
      renameSync(path, kept);
      this.loadProblem = `grants file was unreadable (${(error as Error).message}); kept as ${kept}, no grants loaded`;
    }
  }

  list(): Grant[] {
    return [...this.grants.values()].map((grant) => ({ ...grant }));
  }

  add(agentId: string, tool: string, capability: string, scope: GrantScope): Grant {
    if (typeof parseCapability(capability) === 'string') throw new KernelError('INVALID_REQUEST', `not a capability: ${capability}`);
    const grant: Grant = {
      id: `g-${randomBytes(4).toString('hex')}`,
      agentId,
      tool,
      capability,
      scope,
      grantedAt: Date.now(),
      uses: 0,
      lastUsedAt: null,
    };
    this.grants.set(grant.id, grant);
    if (scope === 'always') this.save();
    this.emit({ type: 'grant.added', grant });
    return { ...grant };
  }

  revoke(grantId: string): void {
    const grant = this.grants.get(grantId);
    if (!grant) throw new KernelError('INVALID_REQUEST', `no grant ${grantId}`);
    this.grants.delete(grantId);
    if (grant.scope === 'always') this.save();
    this.emit({ type: 'grant.revoked', grantId });
  }

  /** The grant that covers this need, if any; a `once` grant is consumed. */
  use(agentId: string, tool: string, need: ParsedCapability): Grant | null {
    for (const grant of this.grants.values()) {
      if (grant.agentId !== agentId || (grant.tool !== '*' && grant.tool !== tool)) continue;
      const parsed = parseCapability(grant.capability);
      if (typeof parsed === 'string' || !covers(parsed, need)) continue;
      grant.uses++;
      grant.lastUsedAt = Date.now();
      if (grant.scope === 'once') {
        this.grants.delete(grant.id);
        this.emit({ type: 'grant.revoked', grantId: grant.id });
      } else {
        this.emit({ type: 'grant.used', grantId: grant.id, uses: grant.uses });
        if (grant.scope === 'always') this.save();
      }
      return { ...grant };
    }
    return null;
  }

  private save(): void {
    const always = [...this.grants.values()].filter((grant) => grant.scope === 'always');
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(always, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
