import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/** A journal line longer than this is skipped and reported, never parsed: one line must not cost unbounded memory. */
export const MAX_JOURNAL_LINE_BYTES = 1024 * 1024;
/** JSON nested deeper than this is refused before parsing: cloning or printing it later would exhaust the stack. */
export const MAX_JSON_DEPTH = 128;
/** Of the skipped lines, only this many are kept with their reason; the rest are counted. */
export const MAX_REPORTED_LINES = 20;

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

export interface SkippedLine {
  line: number;
  reason: string;
}

/** Collects skipped lines: the first few with their reason, all of them counted. */
export class SkipReport {
  readonly first: SkippedLine[] = [];
  count = 0;

  add(line: number, reason: string): void {
    this.count++;
    if (this.first.length < MAX_REPORTED_LINES) this.first.push({ line, reason });
  }
}

export interface ScannedLine {
  /** 1-based line number in the file. */
  line: number;
  /** The parsed JSON value of the line. */
  value: unknown;
  /** Bytes the line takes in the file, its newline included. */
  bytes: number;
}

export interface ScanResult {
  lines: number;
  /** Bytes up to the end of the last whole line: a torn tail beyond it is cut off before appending. */
  wholeBytes: number;
  /** Total bytes in the file. */
  totalBytes: number;
  /** The file did not end with a newline: the last line was cut short by a crash mid-write. */
  tornTail: boolean;
  /** Whether that torn last line still parsed and was handed on. */
  tornTailKept: boolean;
}

/** Deepest bracket nesting outside strings, stopping early once past `limit`. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Whether a JSON text nests deeper than the reader takes (the writers check before they write);
 * `enclosing` is how many levels the line wraps around it.
 */
export function nestsTooDeep(text: string, enclosing = 0): boolean {
  const limit = MAX_JSON_DEPTH - enclosing;
  return nestingDepth(text, limit) > limit;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One line's bytes to a JSON value, or the reason it is not one. */
function parseLine(bytes: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: true, value: undefined };
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return { ok: false, reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
}

/**
 * Reads a JSONL file in fixed-size chunks, handing each parsed line to `visit`: memory is bounded
 * by the longest accepted line, not the file. Lines over the size limit, not UTF-8, nested too
 * deep or not JSON go to `skipped`. A last line without its newline is reported as torn; it is
 * still handed on when it parses (a crash between the text and its newline loses nothing).
 */
export function scanJsonLines(path: string, visit: (line: ScannedLine) => void, skipped: SkipReport): ScanResult {
  const result: ScanResult = { lines: 0, wholeBytes: 0, totalBytes: 0, tornTail: false, tornTailKept: false };
  if (!existsSync(path)) return result;
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let pieces: Buffer[] = [];
    let pending = 0;
    let oversized = false;
    let line = 1;
    const finish = (torn = false): void => {
      if (oversized) skipped.add(line, `line longer than ${MAX_JOURNAL_LINE_BYTES} bytes (${pending} bytes): not parsed`);
      else {
        const parsed = parseLine(Buffer.concat(pieces, pending));
        // A torn line that does not parse is the expected damage of a crash mid-write: say so.
        if (!parsed.ok) skipped.add(line, torn ? 'torn final line (crash mid-write)' : parsed.reason);
        else if (parsed.value !== undefined) {
          result.tornTailKept = torn;
          visit({ line, value: parsed.value, bytes: pending + (torn ? 0 : 1) });
        }
      }
      pieces = [];
      pending = 0;
      oversized = false;
      line++;
    };
    const take = (bytes: Buffer): void => {
      pending += bytes.length;
      if (oversized) return;
      if (pending > MAX_JOURNAL_LINE_BYTES) {
        oversized = true;
        pieces = [];
      } else pieces.push(Buffer.from(bytes));
    };
    for (;;) {
      const read = readSync(fd, chunk, 0, CHUNK_BYTES, result.totalBytes);
      if (read === 0) break;
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE, 0); at !== -1 && at < read; at = chunk.indexOf(NEWLINE, start)) {
        take(chunk.subarray(start, at));
        finish();
        start = at + 1;
        result.wholeBytes = result.totalBytes + start;
      }
      if (start < read) take(chunk.subarray(start, read));
      result.totalBytes += read;
    }
    if (pending > 0) {
      result.tornTail = true;
      finish(true);
    }
    result.lines = line - 1;
  } finally {
    closeSync(fd);
  }
  return result;
}
