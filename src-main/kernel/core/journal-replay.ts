import type { KernelEvent, TranscriptEntry } from '../../../src-shared/index.js';
import { KernelEvent as KernelEventSchema } from '../../../src-shared/index.js';
import { scanJsonLines, SkipReport, type ScanResult } from './journal-reader.js';
import { type JournalProjection, SnapshotLine } from './journal-snapshot.js';

export interface ReplayResult {
  skipped: SkipReport;
  scan: ScanResult;
  /** Bytes of the leading snapshot: compaction is due when what follows it outgrows the limits. */
  snapshotBytes: number;
  /** Events after the snapshot. */
  tailEvents: number;
  /** When the snapshot the journal starts with was written, if it starts with one. */
  compactedAt: number | null;
}

/** Events that change a process's record: one for a pid the table never saw is damage. */
const PER_PROCESS = new Set<KernelEvent['type']>([
  'proc.state',
  'proc.priority',
  'proc.counters',
  'proc.output',
  'proc.input',
  'proc.step',
  'proc.step-rejected',
  'proc.step-interrupted',
  'proc.tool-result',
  'proc.exited',
  'memory.layout',
  'sched.swap',
]);

const isSnapshotLine = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value) && 'snapshot' in value;

/** Why an event that has the right shape cannot be applied here, or null when it can. */
function misfit(event: KernelEvent, projection: JournalProjection): string | null {
  if (event.seq <= projection.lastSeq) return `sequence ${event.seq} is not after ${projection.lastSeq} (duplicate or out of order)`;
  if (event.type === 'proc.spawned' && projection.table.has(event.process.pid)) return `pid ${event.process.pid} spawned twice`;
  if (event.type === 'proc.spawned' && event.process.pid < projection.table.nextPid()) return `pid ${event.process.pid} spawned after higher pids: pids are never reused`;
  const pid = 'pid' in event ? event.pid : null;
  if (PER_PROCESS.has(event.type) && pid !== null && !projection.table.has(pid)) return `${event.type} for unknown pid ${pid}`;
  return null;
}

/** Joins consecutive output pieces of one step, as the live projection holds them. */
function appendEntries(transcript: TranscriptEntry[], entries: readonly TranscriptEntry[]): void {
  for (const entry of entries) {
    const last = transcript.at(-1);
    if ((entry.kind === 'output' || entry.kind === 'interrupted') && last?.kind === entry.kind && last.step === entry.step) last.text += entry.text;
    else transcript.push(entry);
  }
}

/**
 * Rebuilds the projection from a journal, streaming: a leading snapshot (if the journal was
 * compacted), then each event in order. Everything that cannot be used is reported with its line,
 * never thrown: damaged or torn lines, wrong shapes, duplicate or out-of-order sequence numbers,
 * events for pids never spawned.
 */
export function replayJournal(path: string, projection: JournalProjection): ReplayResult {
  const skipped = new SkipReport();
  let snapshotBytes = 0;
  let compactedAt: number | null = null;
  let tailEvents = 0;
  let phase = 'start' as 'start' | 'snapshot' | 'events';
  const restored = new Map<number, TranscriptEntry[]>();
  const scan = scanJsonLines(
    path,
    ({ line, value, bytes }) => {
      if (isSnapshotLine(value)) {
        const parsed = SnapshotLine.safeParse(value);
        if (!parsed.success) return skipped.add(line, 'not a valid snapshot record');
        const record = parsed.data;
        if (phase === 'events' || (phase === 'start' && record.snapshot !== 'begin') || (phase === 'snapshot' && record.snapshot === 'begin')) {
          return skipped.add(line, `snapshot ${record.snapshot} record out of place`);
        }
        snapshotBytes += bytes;
        switch (record.snapshot) {
          case 'begin':
            phase = 'snapshot';
            compactedAt = record.at;
            projection.lastSeq = record.seq;
            projection.table.restoreHighestPid(record.highestPid);
            return;
          case 'process':
            if (projection.table.has(record.info.pid)) return skipped.add(line, `snapshot has pid ${record.info.pid} twice`);
            restored.set(record.info.pid, []);
            projection.table.restore({ info: record.info, manifest: record.manifest, transcript: restored.get(record.info.pid)! }, 0);
            return;
          case 'transcript': {
            const transcript = restored.get(record.pid);
            if (!transcript) return skipped.add(line, `snapshot transcript for unknown pid ${record.pid}`);
            appendEntries(transcript, record.entries);
            return;
          }
          case 'binding':
            projection.bindings.set(record.binding.id, record.binding);
            return;
          case 'end':
            phase = 'events';
            return;
        }
      }
      if (phase === 'snapshot') {
        skipped.add(line, 'snapshot without its end record: it may be incomplete');
        phase = 'events';
      }
      phase = 'events';
      const parsed = KernelEventSchema.safeParse(value);
      if (!parsed.success) return skipped.add(line, 'not a kernel event');
      const reason = misfit(parsed.data, projection);
      if (reason) return skipped.add(line, reason);
      projection.apply(parsed.data);
      tailEvents++;
    },
    skipped,
  );
  if (phase === 'snapshot') skipped.add(scan.lines, 'snapshot without its end record: it may be incomplete');
  return { skipped, scan, snapshotBytes, tailEvents, compactedAt };
}
