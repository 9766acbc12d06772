import { createHash } from 'node:crypto';

/** What `mcp:SERVER/TOOL` can name (capability.contract.ts). */
const CAPABILITY_PART = /^[\w.-]+$/;

/**
 * The name an agent sees for one tool of an external server: `mcp__SERVER__TOOL`, lower_snake_case,
 * at most 64 characters (a long name keeps its head and a short hash of the whole, so it stays unique).
 */
export function exposedToolName(server: string, tool: string): string {
  const clean = (text: string): string => text.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  const name = `mcp__${clean(server)}__${clean(tool)}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(`${server}/${tool}`).digest('hex').slice(0, 8);
  return `${name.slice(0, 55)}_${hash}`;
}

/** Why a server's tool cannot be offered to agents, or null when it can. */
export function unexposableReason(tool: string): string | null {
  if (!CAPABILITY_PART.test(tool)) return `"${tool}" has characters an mcp:SERVER/TOOL grant cannot name (letters, digits, _ . - only)`;
  return null;
}


/**
 * A server's input schema as the kernel's validator (ajv, draft-07) and the step grammar take it:
 * the `$schema` marker is dropped (servers often declare 2020-12), and it is always an object.
 */
export function cleanInputSchema(schema: unknown): Record<string, unknown> {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { type: 'object', properties: {} };
  const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
  return { ...rest, type: 'object' };
}
