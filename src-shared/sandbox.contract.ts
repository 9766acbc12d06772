import { z } from 'zod';
import { Capability } from './capability.contract.js';

export const GrantScope = z.enum(['once', 'session', 'always']);
export type GrantScope = z.infer<typeof GrantScope>;

/** A grant allows; a standing deny refuses the capability at once, without asking again. */
export const GrantEffect = z.enum(['allow', 'deny']);
export type GrantEffect = z.infer<typeof GrantEffect>;

/** A capability the user granted to one agent, for one tool or all (`*`), or a standing deny of it. */
export const Grant = z.object({
  id: z.string(),
  agentId: z.string(),
  tool: z.string(),
  capability: Capability,
  scope: GrantScope,
  /** Absent: allow (grants saved before standing denies existed have no effect field). */
  effect: GrantEffect.optional(),
  grantedAt: z.number(),
  uses: z.number().int().nonnegative(),
  lastUsedAt: z.number().nullable(),
});
export type Grant = z.infer<typeof Grant>;

export const RiskLevel = z.enum(['low', 'medium', 'high']);
export type RiskLevel = z.infer<typeof RiskLevel>;

/** An agent's call needs a capability it lacks: the user is asked. Identical asks are grouped. */
export const GrantRequest = z.object({
  id: z.string(),
  pid: z.number(),
  agentId: z.string(),
  agentName: z.string(),
  tool: z.string(),
  capability: Capability,
  /** Plain words: "read files in /home/me/docs", "connect to api.example.com:443". */
  summary: z.string(),
  /** The call's arguments, shortened for display. */
  args: z.string(),
  risk: RiskLevel,
  /** How many identical requests from this agent wait on this one answer. */
  count: z.number().int().positive(),
  requestedAt: z.number(),
  expiresAt: z.number(),
});
export type GrantRequest = z.infer<typeof GrantRequest>;

/** `deny` refuses this call; `deny-session` and `deny-always` also record a standing deny, so the agent is not asked about it again. */
export const GrantDecision = z.enum(['allow-once', 'allow-session', 'allow-always', 'deny', 'deny-session', 'deny-always']);
export type GrantDecision = z.infer<typeof GrantDecision>;

/** Named policies bounding what an agent may even ask for. */
export const SandboxPolicy = z.enum(['strict', 'compute-only', 'network-only', 'file-processing']);
export type SandboxPolicy = z.infer<typeof SandboxPolicy>;

export const AuditRecord = z.object({
  seq: z.number().int().positive(),
  at: z.number(),
  pid: z.number().nullable(),
  agentId: z.string().nullable(),
  kind: z.enum(['syscall', 'tool', 'capability', 'grant']),
  name: z.string(),
  /** sha256 of the canonical JSON of the arguments: what was asked, without storing secrets. */
  argsDigest: z.string().nullable(),
  capability: z.string().nullable(),
  /** `revoked`: the user withdrew a grant or a standing deny (not a denial of anything an agent asked). */
  outcome: z.enum(['ok', 'error', 'denied', 'allowed', 'timeout', 'revoked']),
  reason: z.string(),
  resultBytes: z.number().int().nonnegative().nullable(),
  durationMs: z.number().nonnegative().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;
