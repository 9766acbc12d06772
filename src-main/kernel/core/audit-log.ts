import { createHash } from 'node:crypto';
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditRecord } from '../../../src-shared/index.js';
import { AuditRecord as AuditRecordSchema } from '../../../src-shared/index.js';
import type { Disposable } from './disposable.js';

export type AuditEntry = Omit<AuditRecord, 'seq' | 'at' | 'prevHash' | 'hash'>;

export interface AuditQuery {
  pid?: number;
  agentId?: string;
  name?: string;
  outcome?: AuditRecord['outcome'];
  kind?: AuditRecord['kind'];
  afterSeq?: number;
  limit?: number;
}

const GENESIS = '0'.repeat(64);

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

/** The hash covers the previous hash and the record in canonical (sorted-key) JSON. */
function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(JSON.stringify(canonical(record))).digest('hex');
}

/** sha256 of the canonical JSON of a value: the audit keeps what was asked without the secrets in it. */
export function digestArgs(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(value)) ?? 'undefined').digest('hex');
}

/**
 * Append-only, hash-chained log of every syscall, tool call, capability decision and grant.
 * Each record's hash covers the previous record's hash, so any edit, deletion or reordering
 * breaks the chain from that point on, and `verify` says where.
 */
export class AuditLog implements Disposable {
  private readonly records: AuditRecord[] = [];
  private readonly fd: number;
  private lastHash = GENESIS;
  loadProblem: string | null = null;


  constructor(
    readonly path: string,
    private readonly onAppend: (record: AuditRecord) => void = () => {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      const verification = AuditLog.verifyFile(path);
      if (verification.ok) {
        this.records.push(...verification.records);
        this.lastHash = verification.records.at(-1)?.hash ?? GENESIS;
      } else {
        // Never append to a chain that no longer verifies: keep the evidence aside, start a new chain.
        const kept = `${path}.tampered-${Date.now()}`;
        renameSync(path, kept);
        this.loadProblem = `${verification.problem}; the damaged log was kept as ${kept}`;
      }
    }
    this.fd = openSync(path, 'a', 0o600);
  }

  append(entry: AuditEntry): AuditRecord {
    const base = { ...entry, seq: (this.records.at(-1)?.seq ?? 0) + 1, at: Date.now(), prevHash: this.lastHash };
    const record: AuditRecord = { ...base, hash: hashRecord(base) };
    writeSync(this.fd, JSON.stringify(record) + '\n');
    if (entry.outcome === 'denied' || entry.kind === 'grant') fdatasyncSync(this.fd);
    this.records.push(record);
    this.lastHash = record.hash;
    this.onAppend(record);
    return record;
  }

  query(filter: AuditQuery = {}): AuditRecord[] {
    const matches = this.records.filter(
      (r) =>
        (filter.pid === undefined || r.pid === filter.pid) &&
        (filter.agentId === undefined || r.agentId === filter.agentId) &&
        (filter.name === undefined || r.name === filter.name) &&
        (filter.outcome === undefined || r.outcome === filter.outcome) &&
        (filter.kind === undefined || r.kind === filter.kind) &&
        (filter.afterSeq === undefined || r.seq > filter.afterSeq),
    );
    return matches.slice(-(filter.limit ?? 500));
  }

  /** Re-reads the file and checks every link of the chain. */
  static verifyFile(path: string): { ok: boolean; records: AuditRecord[]; problem: string | null } {
    const records: AuditRecord[] = [];
    let previous = GENESIS;
    const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '');
    for (const [index, line] of lines.entries()) {
      let record: AuditRecord;
      try {
        record = AuditRecordSchema.parse(JSON.parse(line));
      } catch {
        return { ok: false, records, problem: `line ${index + 1} is not an audit record` };
      }
      const { hash, ...rest } = record;
      if (record.prevHash !== previous || hashRecord(rest) !== hash) {
        return { ok: false, records, problem: `the chain breaks at record ${record.seq} (line ${index + 1}): it was changed, removed or reordered` };
      }
      records.push(record);
      previous = hash;
    }
    return { ok: true, records, problem: null };
  }

  verify(): { ok: boolean; records: number; problem: string | null } {
    const result = AuditLog.verifyFile(this.path);
    return { ok: result.ok, records: result.records.length, problem: result.problem };
  }

  dispose(): void {
    closeSync(this.fd);
  }
}
