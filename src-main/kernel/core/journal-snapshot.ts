import { z } from 'zod';
import type { InterruptBinding, KernelEvent } from '../../../src-shared/index.js';
import { AgentManifest, InterruptBinding as InterruptBindingSchema, ProcessInfo, TranscriptEntry } from '../../../src-shared/index.js';
import { nestsTooDeep } from './journal-reader.js';
import type { ProcessTable } from './process-table.js';

/**
 * A compacted journal starts with a snapshot of what boot rebuilds from it (the process table with
 * transcripts and counters, the interrupt bindings, the last sequence number), one bounded line per
 * record, then the events after it. Snapshot lines carry `snapshot`, never `type`, so they cannot be
 * taken for events. `end` closes a whole snapshot; one without it is reported.
 */
export const SNAPSHOT_VERSION = 1;

/**
 * Transcript entries are written in lines of at most twice this many characters: at three bytes a
 * character at worst, well under the reader's line limit.
 */
const TRANSCRIPT_LINE_CHARS = 128 * 1024;

/** Safe integers only (zod's `int`): past 2^53 adding one changes nothing, so numbers would stop rising. */
const SafeCount = z.number().int().nonnegative();

export const SnapshotLine = z.discriminatedUnion('snapshot', [
  z.object({ snapshot: z.literal('begin'), version: z.literal(SNAPSHOT_VERSION), seq: SafeCount, highestPid: SafeCount, at: z.number() }),
  z.object({ snapshot: z.literal('process'), info: ProcessInfo, manifest: AgentManifest }),
  z.object({ snapshot: z.literal('transcript'), pid: z.number().int(), entries: z.array(TranscriptEntry) }),
  z.object({ snapshot: z.literal('binding'), binding: InterruptBindingSchema }),
  z.object({ snapshot: z.literal('end'), seq: z.number().int().nonnegative(), processes: z.number().int().nonnegative(), bindings: z.number().int().nonnegative() }),
]);
export type SnapshotLine = z.infer<typeof SnapshotLine>;

/**
 * What boot rebuilds from the journal, kept live from the same events: the process table and the
 * interrupt bindings (including any that could not be armed again: they stay journaled).
 */
export class JournalProjection {
  readonly bindings = new Map<string, InterruptBinding>();
  lastSeq = 0;

  constructor(readonly table: ProcessTable) {}

  apply(event: KernelEvent): void {
    this.table.apply(event);
    if (event.type === 'interrupt.bound') this.bindings.set(event.binding.id, event.binding);
    else if (event.type === 'interrupt.unbound') this.bindings.delete(event.bindingId);
    this.lastSeq = Math.max(this.lastSeq, event.seq);
  }

  /** The projection as snapshot lines (JSON text, no newlines), produced one at a time. */
  *snapshotLines(now = Date.now()): Generator<string> {
    const { highestPid, records } = this.table.exportState();
    yield JSON.stringify({ snapshot: 'begin', version: SNAPSHOT_VERSION, seq: this.lastSeq, highestPid, at: now } satisfies SnapshotLine);
    for (const record of records) {
      yield JSON.stringify({ snapshot: 'process', info: record.info, manifest: record.manifest } satisfies SnapshotLine);
      let batch: TranscriptEntry[] = [];
      let size = 0;
      for (const entry of splitLongText(record.transcript)) {
        const length = JSON.stringify(entry).length;
        if (batch.length > 0 && size + length > TRANSCRIPT_LINE_CHARS) {
          yield JSON.stringify({ snapshot: 'transcript', pid: record.info.pid, entries: batch } satisfies SnapshotLine);
          batch = [];
          size = 0;
        }
        batch.push(entry);
        size += length;
      }
      if (batch.length > 0) yield JSON.stringify({ snapshot: 'transcript', pid: record.info.pid, entries: batch } satisfies SnapshotLine);
    }
    for (const binding of this.bindings.values()) yield JSON.stringify({ snapshot: 'binding', binding } satisfies SnapshotLine);
    yield JSON.stringify({ snapshot: 'end', seq: this.lastSeq, processes: records.length, bindings: this.bindings.size } satisfies SnapshotLine);
  }
}

/**
 * A step's output is many small events joined in the projection, so it can outgrow a line: it is
 * written as consecutive pieces of the same step, which the projection and readers join again.
 * Any other entry too large for a line keeps its place but not its bulk, as `journalLine` does.
 */
function* splitLongText(entries: readonly TranscriptEntry[]): Generator<TranscriptEntry> {
  for (const entry of entries) {
    if (entry.kind !== 'output' && entry.kind !== 'interrupted') {
      const text = JSON.stringify(entry);
      const size = text.length;
      // Written inside `{ snapshot, entries: [...] }`: two levels more on the line.
      const deep = nestsTooDeep(text, 2);
      const note = deep ? '[nested too deep for the journal]' : `[${size} characters: too large for the journal]`;
      if (size <= TRANSCRIPT_LINE_CHARS && !deep) yield entry;
      else if (entry.kind === 'tool-result') yield { ...entry, value: note };
      else if (entry.kind === 'tool-call') yield { ...entry, args: { omitted: note } };
      else if ('text' in entry) yield { ...entry, text: `${entry.text.slice(0, TRANSCRIPT_LINE_CHARS / 8)}… [${size} characters: too large for the journal]` };
      else yield entry;
      continue;
    }
    if (entry.text.length <= TRANSCRIPT_LINE_CHARS / 4) {
      yield entry;
      continue;
    }
    const piece = TRANSCRIPT_LINE_CHARS / 4;
    for (let start = 0; start < entry.text.length; start += piece) {
      let end = Math.min(entry.text.length, start + piece);
      // Never split a surrogate pair: half of one is not valid UTF-8 on the way back.
      const code = entry.text.charCodeAt(end - 1);
      if (end < entry.text.length && code >= 0xd800 && code <= 0xdbff) end--;
      yield { ...entry, text: entry.text.slice(start, end) };
      start = end - piece;
    }
  }
}
