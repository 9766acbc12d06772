import { appendFileSync, closeSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KernelEvent } from '../../../src-shared/index.js';
import { KernelEvent as KernelEventSchema } from '../../../src-shared/index.js';
import type { Disposable } from './disposable.js';
import { MAX_JOURNAL_LINE_BYTES, nestsTooDeep, scanJsonLines, SkipReport, type ScanResult, type SkippedLine } from './journal-reader.js';
import type { ReplayResult } from './journal-replay.js';

/** Events whose loss would change the process table: flushed to the disk before the kernel goes on. */
const SYNC_NOW = new Set<KernelEvent['type']>([
  'proc.spawned',
  'proc.state',
  'proc.priority',
  'proc.step',
  'proc.step-rejected',
  'proc.step-interrupted',
  'proc.tool-result',
  'proc.exited',
]);

/**
 * Scheduling states a restart does not read back (every live process is recovered the same way,
 * from its steps): their lines are written at once like the rest, but synced with the next group
 * commit instead of an fdatasync each. Three of a tool step's five lifecycle events are these.
 */
const TRANSIENT_STATES = new Set(['ready', 'running', 'waiting', 'blocked']);

/** Whether an event's line is fdatasync'd before the kernel goes on. */
function syncsNow(event: KernelEvent): boolean {
  if (event.type === 'proc.state') return !TRANSIENT_STATES.has(event.state);
  return SYNC_NOW.has(event.type);
}

/** Not worth a line: per-subscriber notices and progress that means nothing after a restart. */
const NOT_JOURNALED = new Set<KernelEvent['type']>(['bus.lagged', 'model.loading', 'model.download', 'models.changed', 'core.changed']);

export interface JournalOptions {
  groupCommitMs?: number;
  /** Compact once the events after the last snapshot take this many bytes (or the snapshot's own size, if larger). */
  compactAfterBytes?: number;
  /** Compact once this many events follow the last snapshot. */
  compactAfterEvents?: number;
  /** The projected state as snapshot lines; without it the journal is never compacted. */
  snapshot?: () => Iterable<string>;
  /** What the boot's replay found, so that the tail is repaired and the limits count from there. */
  replay?: Pick<ReplayResult, 'scan' | 'snapshotBytes' | 'tailEvents' | 'compactedAt'> & { damaged: boolean };
}

export const DEFAULT_COMPACT_AFTER_BYTES = 64 * 1024 * 1024;
export const DEFAULT_COMPACT_AFTER_EVENTS = 250_000;

/**
 * Append-only event log. Every event is handed to the OS with a synchronous write before the
 * kernel continues (so a kill -9 loses at most what is being decoded), lifecycle events are
 * fdatasync'd at once, and token output and transient scheduling states (ready, running, waiting,
 * blocked) are fdatasync'd in groups every `groupCommitMs`.
 * It is compacted (a snapshot of the projection replaces the history) past a size or event
 * count, and at a clean shutdown, so boot replays a bounded amount.
 */
export class Journal implements Disposable {
  private fd: number;
  private dirty = false;
  /** A group commit's fdatasync is running on the thread pool. */
  private committing = false;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private tailBytes = 0;
  private tailEvents = 0;
  private snapshotBytes = 0;
  private compactSoon: NodeJS.Immediate | null = null;
  private keepDamaged: boolean;
  /** When the snapshot the file starts with was written. */
  compactedAt: number | null = null;
  /** Why the last compaction failed, if it did; the journal goes on appending to the old file. */
  compactionError: string | null = null;

  constructor(
    readonly path: string,
    private readonly options: JournalOptions = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    // A compaction that a crash interrupted left its temporary file; the journal itself is whole.
    rmSync(compactionTempPath(path), { force: true });
    const replay = options.replay;
    this.keepDamaged = replay?.damaged ?? false;
    if (replay?.scan.tornTail) repairTail(path, replay.scan);
    this.fd = openSync(path, 'a', 0o600);
    if (replay) {
      this.snapshotBytes = replay.snapshotBytes;
      this.tailBytes = Math.max(0, fstatSync(this.fd).size - replay.snapshotBytes);
      this.tailEvents = replay.tailEvents;
      this.compactedAt = replay.compactedAt;
    }
    this.timer = setInterval(() => this.groupCommit(), options.groupCommitMs ?? 100);
    this.timer.unref();
  }

  get sizeBytes(): number {
    return this.snapshotBytes + this.tailBytes;
  }

  append(event: KernelEvent): void {
    if (this.closed || NOT_JOURNALED.has(event.type)) return;
    const line = journalLine(event) + '\n';
    writeSync(this.fd, line);
    this.tailBytes += Buffer.byteLength(line);
    this.tailEvents++;
    if (syncsNow(event)) {
      fdatasyncSync(this.fd);
      this.dirty = false;
    } else {
      this.dirty = true;
    }
    if (this.compactionDue() && !this.compactSoon) {
      // Not inside the emitter's call: the snapshot is taken and swapped in one synchronous go later.
      this.compactSoon = setImmediate(() => {
        this.compactSoon = null;
        if (this.compactionDue()) this.compact();
      });
    }
  }

  private compactionDue(): boolean {
    if (!this.options.snapshot || this.compactionError) return false;
    const bytes = Math.max(this.options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES, this.snapshotBytes);
    return this.tailBytes >= bytes || this.tailEvents >= (this.options.compactAfterEvents ?? DEFAULT_COMPACT_AFTER_EVENTS);
  }

  /**
   * Replaces the file with a snapshot of the projection: written to a temporary file, synced,
   * renamed over the journal, the folder synced. A crash before the rename leaves the old journal
   * (and a temporary file boot removes); after it, the new one. Returns false when it failed.
   */
  compact(): boolean {
    if (this.closed || !this.options.snapshot) return false;
    const temp = compactionTempPath(this.path);
    let bytes = 0;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        for (const line of this.options.snapshot()) bytes += writeSync(fd, line + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      fdatasyncSync(this.fd);
      // A journal that had damaged lines is kept aside (a hard link, so no moment without a journal).
      if (this.keepDamaged) linkSync(this.path, `${this.path}.damaged-${Date.now()}`);
      renameSync(temp, this.path);
      syncFolder(dirname(this.path));
    } catch (error) {
      rmSync(temp, { force: true });
      this.compactionError = `journal compaction failed: ${(error as Error).message}`;
      return false;
    }
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a', 0o600);
    this.keepDamaged = false;
    this.dirty = false;
    this.snapshotBytes = bytes;
    this.tailBytes = 0;
    this.tailEvents = 0;
    this.compactedAt = Date.now();
    return true;
  }

  /**
   * The timed group commit, on the thread pool: a slow disk (an fdatasync took 5–20 ms on a busy
   * virtual disk) no longer stalls the event loop that delivers every slot's tokens. One at a time;
   * lines written meanwhile go with the next. Compaction and dispose still sync synchronously.
   */
  private groupCommit(): void {
    if (this.closed || !this.dirty || this.committing) return;
    this.dirty = false;
    this.committing = true;
    fdatasync(this.fd, (error) => {
      this.committing = false;
      // Tried again at the next tick (after a compaction swapped the descriptor, the new file's).
      if (error && !this.closed) this.dirty = true;
    });
  }

  /** Syncs what was written, now, on this thread: for shutdown and last-resort handlers. */
  flush(): void {
    // A group commit still on the thread pool has not made its lines durable yet: sync them here.
    if (this.closed || (!this.dirty && !this.committing)) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /** A clean shutdown compacts, so the next boot reads a snapshot and nothing else. */
  dispose(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    if (this.compactSoon) clearImmediate(this.compactSoon);
    if (this.tailEvents > 0 && !this.compactionError) this.compact();
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
}

/**
 * An event as one line the reader will take back: one over the line limit keeps its place and
 * shape but loses its bulk (a tool result's value, the tail of a text), saying how much was dropped.
 */
export function journalLine(event: KernelEvent): string {
  const line = JSON.stringify(event);
  const bytes = Buffer.byteLength(line);
  // A tool's output nested past the reader's depth limit (a JSON document it echoed) would be skipped on boot as well.
  const deep = nestsTooDeep(line);
  if (bytes < MAX_JOURNAL_LINE_BYTES && !deep) return line;
  const note = deep ? '[nested too deep for the journal]' : `[${bytes} bytes: too large for the journal]`;
  if (event.type === 'proc.tool-result') return JSON.stringify({ ...event, value: note });
  // An MCP client's call is journaled before its tool checks the arguments: they may be megabytes.
  if (event.type === 'proc.step' && event.action.type === 'tool') return JSON.stringify({ ...event, action: { ...event.action, args: { omitted: note } } });
  if ('text' in event && typeof event.text === 'string') {
    // An eighth of the limit in characters stays under it in bytes, JSON escapes included.
    return JSON.stringify({ ...event, text: `${event.text.slice(0, MAX_JOURNAL_LINE_BYTES / 8)}… ${note}` });
  }
  return line;
}

export function compactionTempPath(path: string): string {
  return `${path}.compacting`;
}

/** Cuts a torn last line off (or ends a whole one with its newline), so the next event starts a line of its own. */
function repairTail(path: string, scan: ScanResult): void {
  if (scan.tornTailKept) appendFileSync(path, '\n');
  else truncateSync(path, scan.wholeBytes);
}

function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot sync a folder (Windows); the rename itself is still atomic there.
  }
}

export interface JournalReadResult {
  events: KernelEvent[];
  /** Lines that were not valid events: a torn final line after a crash, or damage (the first few). */
  skippedLines: SkippedLine[];
  skippedCount: number;
}

/**
 * Reads a journal's events as they are written, keeping every valid event and reporting, not
 * hiding, the rest; a compacted journal's snapshot records are passed over (boot reads them with
 * `replayJournal`). For tools and tests: boot streams instead of collecting.
 */
export function readJournal(path: string): JournalReadResult {
  const events: KernelEvent[] = [];
  const skipped = new SkipReport();
  scanJsonLines(
    path,
    ({ line, value }) => {
      if (typeof value === 'object' && value !== null && 'snapshot' in value) return;
      const parsed = KernelEventSchema.safeParse(value);
      if (parsed.success) events.push(parsed.data);
      else skipped.add(line, 'not a kernel event');
    },
    skipped,
  );
  return { events, skippedLines: skipped.first, skippedCount: skipped.count };
}
