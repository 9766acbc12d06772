import type { ErrorPayload } from '../../src-shared/index.js';
import { ClientMessage, describeIssues } from '../../src-shared/index.js';

/** Deeper wire messages are refused before JSON.parse and zod see them: no request needs more. */
export const MAX_JSON_DEPTH = 64;

export type ParsedWireMessage = { ok: true; message: ClientMessage } | { ok: false; id: number | null; error: ErrorPayload };

/**
 * The deepest nesting of arrays and objects in a JSON text, counted in one pass without parsing,
 * stopping as soon as it passes `limit` (brackets inside strings do not count).
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** One frame from a client, as a request or as the error to answer it with (with its id when one can be read). */
export function parseWireMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): ParsedWireMessage {
  const invalid = (message: string, id: number | null = null): ParsedWireMessage => ({ ok: false, id, error: { code: 'INVALID_REQUEST', message } });
  if (isBinary) return invalid('requests are JSON text frames, not binary frames');
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return invalid(`the request nests deeper than ${MAX_JSON_DEPTH} levels`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return invalid(`the request is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = ClientMessage.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const id = (json as { id?: unknown } | null)?.id;
  const knownId = typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
  return invalid(describeIssues(parsed.error, 'a request is {id, method, params}'), knownId);
}
