import { z } from 'zod';
import { EXTERNAL_AGENT_PREFIX } from './mcp.contract.js';

/**
 * MCP clients' tokens. The administrator's token (the UI, the CLI: serve.json) reaches the whole
 * API; a client token reaches `/mcp` only, and names the client: its process runs as agent
 * `mcp-client-NAME` whatever the client says it is, and grants follow that name.
 */

/** The identity of a session opened with the administrator's token (`mcp-client-admin`): no token may take it. */
export const ADMIN_CLIENT_NAME = 'admin';

/** Lower-kebab-case without `--` (so `NAME--ID`, a client's namespaced manifest id, has one reading). */
export const ClientTokenName = z
  .string()
  .max(40, 'token names are at most 40 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'token names are lower-kebab-case: letters, digits, single hyphens')
  .refine((name) => name !== ADMIN_CLIENT_NAME, { message: `"${ADMIN_CLIENT_NAME}" is the administrator's client: pick another name` });

export const ClientToken = z.object({
  name: ClientTokenName,
  /** The agent id its sessions run as. */
  agentId: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
});
export type ClientToken = z.infer<typeof ClientToken>;

/** The agent id of the client with this token name (or of the administrator's client). */
export function clientAgentId(name: string): string {
  return `${EXTERNAL_AGENT_PREFIX}${name}`;
}
