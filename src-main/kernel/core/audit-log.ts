import { closeSync, constants, fdatasyncSync, fstatSync, lstatSync, mkdirSync, openSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AuditRecord } from '../../../src-shared/index.js';
import { readAnchor, verifyChain, writeAnchor } from './audit-chain.js';
import { boundedRecord, GENESIS, type AuditEntry } from './audit-record.js';
import type { Disposable } from './disposable.js';

export { digestArgs, type AuditEntry } from './audit-record.js';

export interface AuditQuery {
  pid?: number;
  agentId?: string;
  name?: string;
  outcome?: AuditRecord['outcome'];
  kind?: AuditRecord['kind'];
  afterSeq?: number;
  limit?: number;
}

export interface AuditLogOptions {
  /** The log, `<data dir>/audit/audit.jsonl`; its anchor is `anchor.json` beside it. */
  path: string;
  /** The kernel key (kernel-key.ts): records and the anchor are MACed with it. */
  key: Buffer;
  onAppend?: (record: AuditRecord) => void;
  /** How many of the newest records `query` sees; the file keeps them all. */
  memoryRecords?: number;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  problem: string | null;
}

/** The anchor follows the log in groups: one fsynced head per burst of records, not one per record. */
const ANCHOR_DELAY_MS = 100;

/**
 * Append-only log of every syscall, tool call, capability decision and grant. Each record's hash
 * is an HMAC under the kernel key over the record and the previous hash, and the head (count and
 * last hash) is anchored in a MACed file apart from the log, so editing, removing, reordering,
 * truncating or rewriting records (without the key) all fail `verify`, which says where.
 */
export class AuditLog implements Disposable {
  private readonly records: AuditRecord[];
  private readonly fd: number;
  private readonly anchorPath: string;
  private readonly memoryRecords: number;
  private count: number;
  private lastHash: string;
  /** Bytes written through `fd`: a live check reads no further, so it never sees a half-written line. */
  private bytes: number;
  private anchored = -1;
  private anchorTimer: NodeJS.Timeout | null = null;
  /** Why the last anchor write failed (a full disk); `verify` reports it until one succeeds. */
  private anchorProblem: string | null = null;

  private constructor(
    private readonly options: AuditLogOptions,
    state: { records: number; head: string; recent: AuditRecord[] },
    /** Why the log found on boot was set aside or repaired; the kernel shows it in its warnings. */
    readonly loadProblem: string | null,
  ) {
    this.anchorPath = join(dirname(options.path), 'anchor.json');
    this.memoryRecords = options.memoryRecords ?? 10_000;
    this.records = state.recent;
    this.count = state.records;
    this.lastHash = state.head;
    // O_NOFOLLOW: a link planted in place of the log does not make the kernel append through it.
    this.fd = openSync(options.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o600);
    this.bytes = fstatSync(this.fd).size;
    // Brings the anchor up to the head that just verified (a new chain gets its zero anchor here).
    this.writeAnchorNow();
  }

  /**
   * Opens the log, checking the whole chain as a stream first. A log that does not verify is never
   * appended to: it is kept aside with its anchor as evidence and a new chain starts. A last line
   * cut short by a crash (no newline, past the anchored head) is dropped and said so.
   */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const { path, key } = options;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const anchorPath = join(dirname(path), 'anchor.json');
    const notFile = [path, anchorPath].find((file) => lstatSync(file, { throwIfNoEntry: false })?.isFile() === false);
    const report = notFile
      ? { ok: false, problem: `${notFile} is not a regular file (a link?)`, records: 0, head: GENESIS, tornAt: null, recent: [] }
      : await verifyChain(path, { key, anchor: readAnchor(anchorPath, key), allowTornTail: true, keep: options.memoryRecords ?? 10_000 });
    if (!report.ok) {
      const suffix = `.tampered-${Date.now()}`;
      const kept: string[] = [];
      for (const file of [path, anchorPath].filter((candidate) => lstatSync(candidate, { throwIfNoEntry: false }))) {
        renameSync(file, file + suffix);
        kept.push(file + suffix);
      }
      return new AuditLog(options, { records: 0, head: GENESIS, recent: [] }, `${report.problem}; the log was set aside as ${kept.join(', ')} and a new chain started`);
    }
    let repaired: string | null = null;
    if (report.tornAt !== null) {
      truncateSync(path, report.tornAt);
      repaired = `the last record was cut short by a crash (after record ${report.records}) and was dropped`;
    }
    return new AuditLog(options, report, repaired);
  }

  /** Writes one record, bounded in size whatever the entry holds (see boundedRecord). */
  append(entry: AuditEntry): AuditRecord {
    const { record, line } = boundedRecord(this.options.key, entry, this.count + 1, Date.now(), this.lastHash);
    writeSync(this.fd, line);
    this.bytes += Buffer.byteLength(line);
    this.count = record.seq;
    this.lastHash = record.hash;
    this.records.push(record);
    if (this.records.length > this.memoryRecords * 2) this.records.splice(0, this.records.length - this.memoryRecords);
    // Denials and grants are on disk and anchored before anyone acts on them; the rest in groups.
    if (entry.outcome === 'denied' || entry.kind === 'grant') this.writeAnchorNow();
    else this.anchorTimer ??= setTimeout(() => this.writeAnchorNow(), ANCHOR_DELAY_MS).unref();
    this.options.onAppend?.(record);
    return record;
  }

  /** The newest matching records (of the newest `memoryRecords`), oldest first. */
  query(filter: AuditQuery = {}): AuditRecord[] {
    const window = this.records.slice(-this.memoryRecords);
    const matches = window.filter(
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

  /**
   * Re-reads the file as a stream and checks every record's link and HMAC, that it ends exactly at
   * the head this kernel wrote (not truncated, not rewritten), and that the anchor is the key's.
   */
  async verify(): Promise<AuditVerification> {
    // Taken in one synchronous step: the anchor can only lag the head captured here.
    const anchor = readAnchor(this.anchorPath, this.options.key);
    const expect = { records: this.count, head: this.lastHash };
    const report = await verifyChain(this.options.path, { key: this.options.key, anchor, end: this.bytes, expect });
    const problem = report.problem ?? (this.anchorProblem ? `the anchor could not be written: ${this.anchorProblem}` : null);
    return { ok: problem === null, records: report.records, problem };
  }

  /** Checks a log at rest against its anchor (`anchor.json` beside it), as boot does. */
  static async verifyFile(path: string, key: Buffer): Promise<AuditVerification> {
    const report = await verifyChain(path, { key, anchor: readAnchor(join(dirname(path), 'anchor.json'), key) });
    return { ok: report.ok, records: report.records, problem: report.problem };
  }

  private writeAnchorNow(): void {
    if (this.anchorTimer) clearTimeout(this.anchorTimer);
    this.anchorTimer = null;
    if (this.anchored === this.count) return;
    try {
      // The records first: an anchor must never hold a head the log on disk does not reach.
      fdatasyncSync(this.fd);
      writeAnchor(this.anchorPath, this.options.key, { records: this.count, head: this.lastHash });
      this.anchored = this.count;
      this.anchorProblem = null;
    } catch (error) {
      // The log still verifies up to the old anchor; the next append tries again.
      this.anchorProblem = (error as Error).message;
    }
  }

  dispose(): void {
    this.writeAnchorNow();
    closeSync(this.fd);
  }
}
