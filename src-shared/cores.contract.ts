import { z } from 'zod';

/**
 * Cores: where inference runs. `local` is the kernel's own node-llama-cpp model; `llama-server` is
 * llama.cpp's HTTP server (slots, slot save/restore, grammar); `openai` is any OpenAI-compatible engine
 * (no KV save/restore: a moved or preempted agent is re-prefilled).
 */
export const CoreKind = z.enum(['local', 'llama-server', 'openai']);
export type CoreKind = z.infer<typeof CoreKind>;

/** Letters, digits, dot, dash, underscore: a name safe in a CLI argument, a file name and a log line. */
export const CoreName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

export const CoreHealth = z.enum(['starting', 'up', 'down']);
export type CoreHealth = z.infer<typeof CoreHealth>;

/** What a core can do; the UI and `amk cores list` show it so a user knows what a remote engine gives up. */
export const CoreCapabilities = z.object({
  /** Slot KV state can be saved and restored (swap and snapshots without re-prefill). */
  kvSaveRestore: z.boolean(),
  /** A request can be pinned to one slot, so its prefix stays cached there. */
  slotPinning: z.boolean(),
  /** Output can be constrained by the step grammar (GBNF or JSON schema). */
  grammar: z.boolean(),
});
export type CoreCapabilities = z.infer<typeof CoreCapabilities>;

/** A core as everyone outside the kernel sees it. Never carries a credential: only the name of the env var that holds one. */
export const CoreInfo = z.object({
  name: CoreName,
  kind: CoreKind,
  /** The base URL of a remote core (no user info, no query); null for the local one. */
  url: z.string().nullable(),
  health: CoreHealth,
  /** Why the core is down (or was last marked down), in words. */
  reason: z.string().nullable(),
  /** The model the core serves (file name or the engine's model id). */
  model: z.string().nullable(),
  slots: z.number().int().nonnegative(),
  busySlots: z.number().int().nonnegative(),
  /** Processes waiting for a slot on this core. */
  queued: z.number().int().nonnegative(),
  /** The last health probe's round trip. */
  latencyMs: z.number().nonnegative().nullable(),
  capabilities: CoreCapabilities,
  /** The environment variable the kernel reads the engine's bearer token from, if any. */
  tokenEnv: z.string().nullable(),
});
export type CoreInfo = z.infer<typeof CoreInfo>;

/** A remote core as stored in settings (config.json `cores`). */
export const RemoteCoreConfig = z
  .object({
    name: CoreName,
    kind: z.enum(['llama-server', 'openai']),
    url: z.string().url().max(2048),
    /**
     * Name of an environment variable holding a bearer token (the token itself is never stored).
     * Never one of the kernel's own AMK_ variables (AMK_TOKEN is a kernel's admin token): a core's
     * URL is wherever the user pointed it, and the variable's value is sent there.
     */
    tokenEnv: z
      .string()
      .regex(/^(?![Aa][Mm][Kk]_)[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name (letters, digits, _) that is not one of the kernel\'s own AMK_ variables')
      .optional(),
    /** openai kind: the engine's model id; llama-server: ignored (it serves one model). */
    model: z.string().min(1).max(256).optional(),
  })
  .strict();
export type RemoteCoreConfig = z.infer<typeof RemoteCoreConfig>;

export const coresApi = {
  'cores.list': { params: z.object({}).strict(), result: z.array(CoreInfo) },
  /** Adds (and persists) a remote core; answers once its first health probe is done (up or down). */
  'cores.add': { params: RemoteCoreConfig, result: CoreInfo },
  /** Removes a remote core; its agents move to another core that serves their model, or are suspended. */
  'cores.remove': { params: z.object({ name: CoreName }).strict(), result: z.object({ ok: z.literal(true) }) },
} as const;
