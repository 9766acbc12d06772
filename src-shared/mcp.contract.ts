import { z } from 'zod';

/**
 * External MCP servers the user registered: their tools reach agents as `mcp__SERVER__TOOL`,
 * each call behind an `mcp:SERVER/TOOL` grant, audited like a Wasm tool.
 */
export const McpServerName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'MCP server names are lower-kebab-case, at most 32 characters');

export const McpTransportConfig = z.discriminatedUnion('kind', [
  /** A local process speaking MCP on its stdin and stdout. */
  z
    .object({
      kind: z.literal('stdio'),
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      /** Added to a minimal inherited environment (PATH, HOME, ...), not the kernel's whole environment. */
      env: z.record(z.string(), z.string()).default({}),
      cwd: z.string().optional(),
      /** Where bubblewrap confines the server (Linux): whether it keeps the network (`amk mcp-servers add --allow-network`). */
      network: z.boolean().default(false),
      /** Absolute folders it may read and write inside the sandbox (`--allow-folder`); the home and data folders stay hidden. */
      folders: z.array(z.string().min(1)).max(16).default([]),
    })
    .strict(),
  /** A Streamable HTTP endpoint. */
  z.object({ kind: z.literal('http'), url: z.url({ protocol: /^https?$/ }), headers: z.record(z.string(), z.string()).default({}) }).strict(),
]);
export type McpTransportConfig = z.infer<typeof McpTransportConfig>;

export const McpServerConfig = z
  .object({
    name: McpServerName,
    transport: McpTransportConfig,
    /** Per call: a server that takes longer is stopped, marked unhealthy and restarted on next use. */
    timeoutMs: z.number().int().positive().max(600_000).default(10_000),
    /**
     * Per start (spawn, initialize, list tools). Starting a server (`npx -y …`, a cold interpreter on
     * a busy machine) takes far longer than answering a call; unset, it is the call limit but at
     * least 30 s.
     */
    startTimeoutMs: z.number().int().positive().max(600_000).optional(),
  })
  .strict();
export type McpServerConfig = z.infer<typeof McpServerConfig>;
export type McpServerConfigInput = z.input<typeof McpServerConfig>;

export const McpServerHealth = z.enum(['stopped', 'starting', 'healthy', 'unhealthy']);
export type McpServerHealth = z.infer<typeof McpServerHealth>;

export const McpServerSandbox = z.enum(['bubblewrap', 'none']);
export type McpServerSandbox = z.infer<typeof McpServerSandbox>;

export const McpServerStatus = z.object({
  name: McpServerName,
  /** As configured, with environment and header values hidden. */
  transport: McpTransportConfig,
  timeoutMs: z.number(),
  health: McpServerHealth,
  /** Why the server is unhealthy: it exited, hung, or never started. */
  error: z.string().nullable(),
  tools: z.array(z.object({ name: z.string(), serverTool: z.string(), description: z.string() })),
  /** Tools the server offers that the kernel could not expose, with the reason. */
  skipped: z.array(z.string()),
  restarts: z.number().int().nonnegative(),
  checkedAt: z.number().nullable(),
  /**
   * How a stdio server runs: always outside the Wasm sandbox, with the user's rights; `bubblewrap`
   * when the OS sandbox confines it (no home folder, no network unless `network`), `none` when it
   * runs unconfined (no bubblewrap, or an HTTP endpoint the kernel only talks to).
   */
  sandbox: McpServerSandbox,
  network: z.boolean(),
  /** Why a native server is not confined, and how to get bubblewrap; null when confined or remote. */
  sandboxWarning: z.string().nullable(),
});
export type McpServerStatus = z.infer<typeof McpServerStatus>;

/** The agent id an external MCP client runs under: its grants follow its name across sessions. */
export const EXTERNAL_AGENT_PREFIX = 'mcp-client-';

export function isExternalAgentId(agentId: string): boolean {
  return agentId.startsWith(EXTERNAL_AGENT_PREFIX);
}
