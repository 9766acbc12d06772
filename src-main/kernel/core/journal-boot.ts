import type { KernelInfo } from '../../../src-shared/index.js';
import { Journal } from './journal.js';
import { MAX_REPORTED_LINES, type SkippedLine } from './journal-reader.js';
import { replayJournal } from './journal-replay.js';
import { JournalProjection } from './journal-snapshot.js';
import type { ProcessTable } from './process-table.js';

/** How many skipped lines `kernel.info` and `amk serve` name; the rest are counted. */
const PROBLEMS_SHOWN = 5;

export interface JournalLimits {
  /** Compact once the events after the last snapshot take this many bytes (64 MiB by default). */
  compactAfterBytes?: number;
  /** Compact once this many events follow the last snapshot (250,000 by default). */
  compactAfterEvents?: number;
}

export interface OpenedJournal {
  journal: Journal;
  /** The table and bindings boot rebuilt, kept live from the bus by the caller. */
  projection: JournalProjection;
  skippedLines: SkippedLine[];
  skippedCount: number;
}

/**
 * Boot's part of the journal: replays it into `table` (streaming, reporting what it skips), repairs
 * a torn tail, and opens it for appending with compaction from the same projection.
 */
export function openJournal(path: string, table: ProcessTable, limits: JournalLimits = {}): OpenedJournal {
  const projection = new JournalProjection(table);
  const replay = replayJournal(path, projection);
  // A torn last line is the ordinary trace of a crash; anything else is damage worth keeping a copy of.
  const routine = replay.scan.tornTail && !replay.scan.tornTailKept ? 1 : 0;
  const journal = new Journal(path, {
    ...limits,
    snapshot: () => projection.snapshotLines(),
    replay: { ...replay, damaged: replay.skipped.count > routine },
  });
  return { journal, projection, skippedLines: replay.skipped.first.slice(0, MAX_REPORTED_LINES), skippedCount: replay.skipped.count };
}

/** The journal's part of `kernel.info`. */
export function journalStatus(opened: OpenedJournal): KernelInfo['journal'] {
  return {
    skippedLines: opened.skippedCount,
    problems: [
      ...opened.skippedLines.slice(0, PROBLEMS_SHOWN).map((skipped) => `line ${skipped.line}: ${skipped.reason}`),
      ...(opened.journal.compactionError ? [opened.journal.compactionError] : []),
    ],
    sizeBytes: opened.journal.sizeBytes,
    compactedAt: opened.journal.compactedAt,
  };
}

/** One line for the warnings list (and `amk serve`), or null when every line was read. */
export function journalWarning(opened: Pick<OpenedJournal, 'skippedLines' | 'skippedCount'>): string | null {
  if (opened.skippedCount === 0) return null;
  const named = opened.skippedLines.slice(0, PROBLEMS_SHOWN).map((skipped) => `line ${skipped.line}: ${skipped.reason}`);
  const more = opened.skippedCount > named.length ? `; and ${opened.skippedCount - named.length} more` : '';
  return `journal: ${opened.skippedCount} line(s) skipped on load (${named.join('; ')}${more})`;
}
