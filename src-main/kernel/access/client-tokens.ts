import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { ClientToken } from '../../../src-shared/index.js';
import { clientAgentId, ClientTokenName, describeIssues } from '../../../src-shared/index.js';
import { keyedDigest } from '../core/kernel-key.js';
import { KernelError } from '../core/kernel-error.js';

/** Client tokens start with this, so a server can tell one from the administrator's and say where it belongs. */
export const CLIENT_TOKEN_PREFIX = 'amkc_';

const Stored = z.object({
  name: ClientTokenName,
  /** HMAC-SHA256 of the secret under the kernel key: the file alone gives no token. */
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
});
type Stored = z.infer<typeof Stored>;
const TokenFile = z.object({ version: z.literal(1), tokens: z.array(Stored) });

/** `lastUsedAt` reaches the disk at most this often per token (every /mcp request verifies one). */
const LAST_USED_WRITE_MS = 60_000;

/**
 * MCP clients' tokens, `<data dir>/mcp-tokens.json` (user-only): name, keyed digest, dates. The
 * secret is shown once, when created. An unreadable file is set aside and accepts no token.
 */
export class ClientTokenStore {
  private readonly tokens = new Map<string, Stored>();
  private readonly persistedUse = new Map<string, number>();
  private readonly revokeListeners = new Set<(name: string) => void>();
  readonly loadProblem: string | null = null;

  constructor(
    private readonly path: string,
    private readonly key: Buffer,
  ) {
    if (!existsSync(path)) return;
    try {
      const saved = TokenFile.parse(JSON.parse(readFileSync(path, 'utf8')));
      for (const token of saved.tokens) this.tokens.set(token.name, token);
    } catch (error) {
      const kept = `${path}.unreadable-${Date.now()}`;
      renameSync(path, kept);
      this.loadProblem = `MCP client tokens file was unreadable (${(error as Error).message.slice(0, 200)}); kept as ${kept}, no client token is accepted: make new ones with \`amk mcp token NAME\``;
    }
  }

  list(): ClientToken[] {
    return [...this.tokens.values()].map((token) => this.view(token));
  }

  create(name: string): { token: ClientToken; secret: string } {
    const parsed = ClientTokenName.safeParse(name);
    if (!parsed.success) throw new KernelError('INVALID_REQUEST', describeIssues(parsed.error, 'token name'));
    if (this.tokens.has(name)) throw new KernelError('INVALID_REQUEST', `a token named "${name}" exists: revoke it first (amk mcp tokens revoke ${name})`);
    const secret = `${CLIENT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const stored: Stored = { name, digest: keyedDigest(this.key, secret), createdAt: Date.now(), lastUsedAt: null };
    this.tokens.set(name, stored);
    this.save();
    return { token: this.view(stored), secret };
  }

  revoke(name: string): void {
    if (!this.tokens.delete(name)) {
      throw new KernelError('INVALID_REQUEST', `no MCP client token named "${name}" (${[...this.tokens.keys()].join(', ') || 'none made'})`);
    }
    this.save();
    for (const listener of this.revokeListeners) listener(name);
  }

  /** Called with the name of each revoked token (its open sessions should end); returns the unsubscribe. */
  onDidRevoke(listener: (name: string) => void): () => void {
    this.revokeListeners.add(listener);
    return () => void this.revokeListeners.delete(listener);
  }

  /** Does this look like a client token (whether or not it is valid)? For a clear refusal elsewhere. */
  static looksLikeClientToken(secret: string): boolean {
    return secret.startsWith(CLIENT_TOKEN_PREFIX);
  }

  /** The token this secret is, or null. Digests are compared in full, at fixed length. */
  verify(secret: string): ClientToken | null {
    const offered = Buffer.from(keyedDigest(this.key, secret), 'hex');
    let found: Stored | null = null;
    for (const token of this.tokens.values()) {
      if (timingSafeEqual(offered, Buffer.from(token.digest, 'hex'))) found = token;
    }
    if (!found) return null;
    const now = Date.now();
    found.lastUsedAt = now;
    if (now - (this.persistedUse.get(found.name) ?? 0) > LAST_USED_WRITE_MS) {
      this.persistedUse.set(found.name, now);
      this.save();
    }
    return this.view(found);
  }

  private view(token: Stored): ClientToken {
    return { name: token.name, agentId: clientAgentId(token.name), createdAt: token.createdAt, lastUsedAt: token.lastUsedAt };
  }

  private save(): void {
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify({ version: 1, tokens: [...this.tokens.values()] }, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
