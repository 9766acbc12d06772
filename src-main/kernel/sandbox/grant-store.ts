import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Grant, GrantScope, KernelEventBody, ParsedCapability } from '../../../src-shared/index.js';
import { Grant as GrantSchema, parseCapability } from '../../../src-shared/index.js';
import { keyedDigest } from '../core/kernel-key.js';
import { KernelError } from '../core/kernel-error.js';
import { covers, insideAny } from './capability-check.js';

/** grants.json: each grant with its MAC under the kernel key, so that a grant written by anyone else is not trusted. */
const SavedGrants = z.object({ version: z.literal(2), grants: z.array(z.object({ grant: GrantSchema, mac: z.string() })) });

/** What a grant's MAC covers: who may do what (the use counters are bookkeeping, not authority). */
function grantMac(key: Buffer, grant: Grant): string {
  // A standing deny has its own domain tag, so a deny's MAC never verifies an allow (and the MACs of grants saved before denies existed still hold).
  if (grant.effect === 'deny') return keyedDigest(key, JSON.stringify(['amk-deny/v1', grant.id, grant.agentId, grant.tool, grant.capability, grant.scope, grant.grantedAt]));
  return keyedDigest(key, JSON.stringify(['amk-grant/v1', grant.id, grant.agentId, grant.tool, grant.capability, grant.scope, grant.grantedAt]));
}

function sameMac(expected: string, actual: string): boolean {
  // Both sides are hashed to a fixed length first: no early exit on a length difference.
  const [a, b] = [keyedDigest(Buffer.alloc(0), expected), keyedDigest(Buffer.alloc(0), actual)];
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/**
 * The user's grants, per agent, tool and capability. `always` grants persist in
 * `<data dir>/grants.json`, each MACed with the kernel key; `session` grants last until the kernel
 * stops; `once` is used up by one call. No grant reaches the protected roots (the data directory).
 * Standing denies (`effect: deny`, scope session or always) live beside the grants, saved and MACed
 * the same way, and are revoked the same way; they never count as a grant.
 */
export class GrantStore {
  private readonly grants = new Map<string, Grant>();
  /** What was wrong with grants.json at load (each dropped grant), for the kernel's warnings. */
  readonly loadProblems: string[] = [];

  constructor(
    private readonly path: string,
    private readonly emit: (body: KernelEventBody) => void,
    private readonly key: Buffer,
    /** Real paths that no grant reaches, whatever it says. */
    readonly protectedRoots: readonly string[],
  ) {
    if (!existsSync(path)) return;
    let saved;
    try {
      const text = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (Array.isArray(text)) {
        // The unsigned format of earlier versions: it proves nothing, so it grants nothing.
        const kept = this.setAside('unsigned');
        this.loadProblems.push(`grants file ${path} is unsigned (an earlier format, or forged): its ${text.length} grants were dropped (kept as ${kept}); grant them again`);
        return;
      }
      saved = SavedGrants.parse(text);
    } catch (error) {
      // Deny by default: unreadable grants grant nothing; the file is kept for the user to inspect.
      const kept = `${path}.unreadable-${Date.now()}`;
      renameSync(path, kept);
      this.loadProblems.push(`grants file was unreadable (${(error as Error).message}); kept as ${kept}, no grants loaded`);
      return;
    }
    for (const { grant, mac } of saved.grants) {
      const problem = !sameMac(grantMac(key, grant), mac)
        ? 'failed its integrity check (not written by this kernel: forged or edited)'
        : grant.scope !== 'always'
          ? `has scope ${grant.scope}, which is never saved`
          : this.refusalOf(grant.capability);
      if (problem) this.loadProblems.push(`grants file: grant ${grant.id} (${grant.agentId}, ${grant.tool}, ${grant.capability}) ${problem}: dropped`);
      else this.grants.set(grant.id, grant);
    }
    if (this.loadProblems.length > 0) this.loadProblems.push(`the grants file as found is kept as ${this.setAside('rejected')}`);
  }

  /** Keeps the file as found, for the user to inspect, and writes what is trusted in its place. */
  private setAside(why: string): string {
    const kept = `${this.path}.${why}-${Date.now()}`;
    renameSync(this.path, kept);
    this.save();
    return kept;
  }

  /** Why this capability can never be granted (it reaches a protected root), or null. */
  refusal(need: ParsedCapability): string | null {
    if (need.kind === 'fs' && insideAny(need.path, this.protectedRoots)) return `${need.path} is inside the kernel's data directory, which is never grantable`;
    return null;
  }

  private refusalOf(capability: string): string | null {
    const parsed = parseCapability(capability);
    return typeof parsed === 'string' ? `is not a capability (${parsed})` : this.refusal(parsed);
  }

  list(): Grant[] {
    return [...this.grants.values()].map((grant) => ({ ...grant }));
  }

  add(agentId: string, tool: string, capability: string, scope: GrantScope): Grant {
    if (typeof parseCapability(capability) === 'string') throw new KernelError('INVALID_REQUEST', `not a capability: ${capability}`);
    const refused = this.refusalOf(capability);
    if (refused) throw new KernelError('CAPABILITY_DENIED', `cannot grant ${capability}: ${refused}`);
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

  /** Records a standing deny: this agent's calls of this tool needing this capability are refused without asking. */
  addDeny(agentId: string, tool: string, capability: string, scope: 'session' | 'always'): Grant {
    if (typeof parseCapability(capability) === 'string') throw new KernelError('INVALID_REQUEST', `not a capability: ${capability}`);
    const deny: Grant = {
      id: `d-${randomBytes(4).toString('hex')}`,
      agentId,
      tool,
      capability,
      scope,
      effect: 'deny',
      grantedAt: Date.now(),
      uses: 0,
      lastUsedAt: null,
    };
    this.grants.set(deny.id, deny);
    if (scope === 'always') this.save();
    this.emit({ type: 'grant.added', grant: deny });
    return { ...deny };
  }

  /** The standing deny that matches this need, if any (counted as a use). */
  denial(agentId: string, tool: string, need: ParsedCapability): Grant | null {
    for (const deny of this.grants.values()) {
      if (deny.effect !== 'deny' || deny.agentId !== agentId || (deny.tool !== '*' && deny.tool !== tool)) continue;
      const parsed = parseCapability(deny.capability);
      if (typeof parsed === 'string' || !covers(parsed, need)) continue;
      deny.uses++;
      deny.lastUsedAt = Date.now();
      this.emit({ type: 'grant.used', grantId: deny.id, uses: deny.uses });
      return { ...deny };
    }
    return null;
  }

  /** The grant that covers this need, if any; a `once` grant is consumed. Standing denies are never a grant. */
  use(agentId: string, tool: string, need: ParsedCapability): Grant | null {
    for (const grant of this.grants.values()) {
      if (grant.effect === 'deny' || grant.agentId !== agentId || (grant.tool !== '*' && grant.tool !== tool)) continue;
      const parsed = parseCapability(grant.capability);
      if (typeof parsed === 'string' || !covers(parsed, need) || this.refusal(need)) continue;
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
    const file = { version: 2, grants: always.map((grant) => ({ grant, mac: grantMac(this.key, grant) })) };
    writeFileSync(temporary, JSON.stringify(file, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
