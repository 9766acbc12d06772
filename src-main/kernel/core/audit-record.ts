import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../../src-shared/index.js';
import { AuditRecord as AuditRecordSchema } from '../../../src-shared/index.js';
import { KernelError } from './kernel-error.js';
import { keyedDigest } from './kernel-key.js';

export type AuditEntry = Omit<AuditRecord, 'seq' | 'at' | 'prevHash' | 'hash'>;

/** The whole serialized record, newline included: a line longer than this is not one of ours. */
export const MAX_RECORD_BYTES = 16 * 1024;

/**
 * Each string field's bound in serialized (JSON-escaped, UTF-8) bytes. Together they stay well
 * under MAX_RECORD_BYTES, so no caller (a plugin's capability string, an error message with a
 * megabyte in it) can make one record big, whatever it passes.
 */
const FIELD_BYTES = {
  agentId: 256,
  name: 512,
  argsDigest: 128,
  capability: 2048,
  reason: 4096,
} as const;

/** The first chained record's `prevHash`. */
export const GENESIS = '0'.repeat(64);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** sha256 of the canonical JSON of a value: the audit keeps what was asked without the secrets in it. */
export function digestArgs(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(value)) ?? 'undefined').digest('hex');
}

/**
 * A record's `hash`: HMAC-SHA256 under the kernel key of the record (its `prevHash` included) in
 * canonical JSON. Keyed, so someone who can write the log but not read the key cannot re-hash a
 * rewritten chain; chained, so a removed or reordered record breaks the link after it.
 */
export function hashRecord(key: Buffer, record: Omit<AuditRecord, 'hash'>): string {
  return keyedDigest(key, `amk-audit-record:v1\n${JSON.stringify(canonical(record))}`);
}

const serializedBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text));

/**
 * Cuts a string to at most `maxBytes` serialized bytes, marker included: `…[+N bytes]` says how
 * many UTF-8 bytes were dropped. Binary search on the prefix length, so a megabyte costs ~20 probes
 * of at most `maxBytes` characters.
 */
export function boundString(value: string, maxBytes: number): string {
  if (serializedBytes(value) <= maxBytes) return value;
  const total = Buffer.byteLength(value);
  const marked = (length: number): string => {
    let end = length;
    // Never split a surrogate pair.
    if (end > 0 && /[\uD800-\uDBFF]/.test(value[end - 1] ?? '')) end -= 1;
    const kept = value.slice(0, end);
    return `${kept}…[+${total - Buffer.byteLength(kept)} bytes]`;
  };
  let low = 0;
  let high = Math.min(value.length, maxBytes);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (serializedBytes(marked(middle)) <= maxBytes) low = middle;
    else high = middle - 1;
  }
  return marked(low);
}

const boundNullable = (value: string | null, maxBytes: number): string | null => (value === null ? null : boundString(value, maxBytes));
const finiteOrNull = (value: number | null): number | null => (value === null || !Number.isFinite(value) ? null : value);
const countOrNull = (value: number | null): number | null => (value === null || !Number.isSafeInteger(value) || value < 0 ? null : value);
const durationOrNull = (value: number | null): number | null => (value === null || !Number.isFinite(value) ? null : Math.max(0, value));

/**
 * The record `append` writes: only the schema's fields (an extra property a caller spreads in is
 * not written), each string bounded, numbers finite, checked against the schema before it is hashed.
 */
/**
 * Built once: zod compiles a schema on its first parse, and a schema derived per call (`omit`)
 * was compiled again on every syscall, about half of a warm tool call's time.
 */
const UnhashedRecord = AuditRecordSchema.omit({ hash: true });

export function boundedRecord(key: Buffer, entry: AuditEntry, seq: number, at: number, prevHash: string): { record: AuditRecord; line: string } {
  const base = UnhashedRecord.parse({
    seq,
    at,
    pid: finiteOrNull(entry.pid),
    agentId: boundNullable(entry.agentId, FIELD_BYTES.agentId),
    kind: entry.kind,
    name: boundString(entry.name, FIELD_BYTES.name),
    argsDigest: boundNullable(entry.argsDigest, FIELD_BYTES.argsDigest),
    capability: boundNullable(entry.capability, FIELD_BYTES.capability),
    outcome: entry.outcome,
    reason: boundString(entry.reason, FIELD_BYTES.reason),
    resultBytes: countOrNull(entry.resultBytes),
    durationMs: durationOrNull(entry.durationMs),
    prevHash,
  });
  const record: AuditRecord = { ...base, hash: hashRecord(key, base) };
  const line = `${JSON.stringify(record)}\n`;
  // Cannot happen with the field bounds above; if the schema grows a field, this says so at once.
  if (Buffer.byteLength(line) > MAX_RECORD_BYTES) throw new KernelError('INTERNAL', `an audit record of ${Buffer.byteLength(line)} bytes is over the ${MAX_RECORD_BYTES}-byte bound`);
  return { record, line };
}
