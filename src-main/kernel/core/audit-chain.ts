import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { AuditRecord } from '../../../src-shared/index.js';
import { AuditRecord as AuditRecordSchema } from '../../../src-shared/index.js';
import { GENESIS, hashRecord, MAX_RECORD_BYTES } from './audit-record.js';
import { keyedDigest } from './kernel-key.js';

/**
 * The chain's head, kept apart from the log: how many records it had and the last one's hash,
 * MACed under the kernel key. It is written after the log is on disk, so it may lag the log
 * (the records past it still verify under the key) but the log is never shorter than it: a log
 * with fewer records, or another head at that count, was truncated or rewritten.
 */
export interface AuditAnchor {
  records: number;
  head: string;
}

const AnchorFile = z.object({ version: z.literal(1), records: z.number().int().nonnegative(), head: z.string().regex(/^[0-9a-f]{64}$/), mac: z.string() }).strict();

/** Compares MACs as fixed-length digests in constant time, whatever their lengths. */
export function sameDigest(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const anchorMac = (key: Buffer, anchor: AuditAnchor): string => keyedDigest(key, `amk-audit-anchor:v1\n${anchor.records}\n${anchor.head}`);

/** The anchor as it reads: absent, not one the key made, or a head. */
export function readAnchor(path: string, key: Buffer): { kind: 'missing' } | { kind: 'forged'; why: string } | { kind: 'ok'; anchor: AuditAnchor } {
  if (!existsSync(path)) return { kind: 'missing' };
  let parsed: z.infer<typeof AnchorFile>;
  try {
    // The anchor is a few dozen bytes; anything much bigger is not ours and is not read at all.
    if (statSync(path).size > 1024) return { kind: 'forged', why: 'the anchor file is not one the kernel writes' };
    const text = readFileSync(path, 'utf8');
    parsed = AnchorFile.parse(JSON.parse(text));
  } catch {
    return { kind: 'forged', why: 'the anchor file is not one the kernel writes' };
  }
  const anchor = { records: parsed.records, head: parsed.head };
  if (!sameDigest(parsed.mac, anchorMac(key, anchor))) {
    return { kind: 'forged', why: 'the anchor is forged: its HMAC does not verify under the kernel key' };
  }
  return { kind: 'ok', anchor };
}

/** Writes the anchor atomically: a temporary file, fsynced, renamed over the old one, the folder fsynced. */
export function writeAnchor(path: string, key: Buffer, anchor: AuditAnchor): void {
  const temporary = `${path}.tmp`;
  // Whatever sits at the temporary name (a leftover, a planted link) goes; O_EXCL then never writes through one.
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    writeSync(fd, JSON.stringify({ version: 1, ...anchor, mac: anchorMac(key, anchor) }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  try {
    const folder = openSync(dirname(path), 'r');
    try {
      fsyncSync(folder);
    } finally {
      closeSync(folder);
    }
  } catch {
    // Some platforms cannot fsync a folder; the rename is then as durable as the OS makes it.
  }
}

interface Line {
  text: string;
  start: number;
  /** False only for the file's last line when it has no newline: a write cut short. */
  terminated: boolean;
}

/**
 * The file's lines, read in 64 KiB chunks up to `end` bytes: never the whole file as one string,
 * and never a line over `maxLine` bytes (it yields `null` there and stops).
 */
async function* readLines(path: string, end: number, maxLine: number): AsyncGenerator<Line | null> {
  const file = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let lineStart = 0;
    let position = 0;
    while (position < end) {
      const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, end - position), position);
      if (bytesRead === 0) break;
      let from = 0;
      for (let newline = chunk.indexOf(10, from); newline !== -1 && newline < bytesRead; newline = chunk.indexOf(10, from)) {
        if (pendingBytes + newline - from > maxLine) return yield null;
        const text = Buffer.concat([...pending, chunk.subarray(from, newline)]).toString('utf8');
        yield { text, start: lineStart, terminated: true };
        pending = [];
        pendingBytes = 0;
        lineStart = position + newline + 1;
        from = newline + 1;
      }
      pendingBytes += bytesRead - from;
      if (pendingBytes > maxLine) return yield null;
      pending.push(Buffer.from(chunk.subarray(from, bytesRead)));
      position += bytesRead;
    }
    if (pendingBytes > 0) yield { text: Buffer.concat(pending).toString('utf8'), start: lineStart, terminated: false };
  } finally {
    await file.close();
  }
}

export interface ChainReport {
  ok: boolean;
  /** Records that verified, from the first. */
  records: number;
  /** The last verified record's hash (GENESIS for none). */
  head: string;
  /** Where and why it does not verify: the chain breaks, truncated, forged. Null when it verifies. */
  problem: string | null;
  /** A crash cut the last write short: the byte offset where the whole records end (null if not). */
  tornAt: number | null;
  /** The newest verified records, at most `keep` of them, oldest first. */
  recent: AuditRecord[];
}

export interface VerifyOptions {
  key: Buffer;
  /** The anchor as read (see readAnchor), or null when there is none to hold the log to. */
  anchor: ReturnType<typeof readAnchor>;
  /** Read no further than this many bytes (the live log: what was written when the check began). */
  end?: number;
  /** The live head the log must end at (the running kernel knows it exactly). */
  expect?: AuditAnchor;
  /** On boot a last line without its newline is a crash's torn write, not a forgery. */
  allowTornTail?: boolean;
  keep?: number;
}

/** Streams the log once and checks each record's link, HMAC and sequence, then the head against the anchor. */
export async function verifyChain(path: string, options: VerifyOptions): Promise<ChainReport> {
  const { key, anchor } = options;
  const recent: AuditRecord[] = [];
  const keep = options.keep ?? 0;
  let records = 0;
  let head = GENESIS;
  const report = (problem: string | null, tornAt: number | null = null): ChainReport => ({ ok: problem === null, records, head, problem, tornAt, recent });
  if (anchor.kind === 'forged') return report(anchor.why);
  // An empty log holds nothing to anchor (a crash between creating it and the first anchor write).
  const logExists = existsSync(path) && statSync(path).size > 0;
  if (anchor.kind === 'missing' && logExists) {
    return report('the anchor file is missing: the chain cannot be checked for truncation (it was removed, or the log was written before anchoring)');
  }
  let tornAt: number | null = null;
  if (logExists) {
    for await (const line of readLines(path, options.end ?? Number.MAX_SAFE_INTEGER, MAX_RECORD_BYTES)) {
      const lineNumber = records + 1;
      if (line === null) return report(`line ${lineNumber} is longer than ${MAX_RECORD_BYTES} bytes: not an audit record this kernel writes`);
      if (!line.terminated && options.allowTornTail) {
        tornAt = line.start;
        break;
      }
      let record: AuditRecord;
      try {
        record = AuditRecordSchema.parse(JSON.parse(line.text));
      } catch {
        return report(`line ${lineNumber} is not an audit record`);
      }
      const { hash, ...rest } = record;
      if (record.seq !== lineNumber || record.prevHash !== head) {
        return report(`the chain breaks at record ${record.seq} (line ${lineNumber}): a record before it was removed, reordered or changed`);
      }
      if (!sameDigest(hashRecord(key, rest), hash)) {
        return report(`record ${record.seq} (line ${lineNumber}) is forged or edited: its HMAC does not verify under the kernel key`);
      }
      records += 1;
      head = hash;
      if (keep > 0) {
        recent.push(record);
        if (recent.length > keep * 2) recent.splice(0, recent.length - keep);
      }
      if (anchor.kind === 'ok' && records === anchor.anchor.records && head !== anchor.anchor.head) {
        return report(`the log was rewritten: record ${records} is not the one the anchor holds`);
      }
    }
  }
  if (recent.length > keep) recent.splice(0, recent.length - keep);
  if (anchor.kind === 'ok' && records < anchor.anchor.records) {
    return report(`the log was truncated: the anchor holds ${anchor.anchor.records} records, the log has ${records}`);
  }
  if (options.expect && (records !== options.expect.records || head !== options.expect.head)) {
    return report(
      records < options.expect.records
        ? `the log was truncated: the kernel wrote ${options.expect.records} records, the file has ${records}`
        : `the log was rewritten: it does not end at the head the kernel wrote (record ${options.expect.records})`,
    );
  }
  return report(null, tornAt);
}
