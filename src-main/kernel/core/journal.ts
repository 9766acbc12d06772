import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KernelEvent } from '../../../src-shared/index.js';
import { KernelEvent as KernelEventSchema } from '../../../src-shared/index.js';
import type { Disposable } from './disposable.js';

/** Events whose loss would change the process table: flushed to the disk before the kernel goes on. */
const SYNC_NOW = new Set<KernelEvent['type']>([
  'proc.spawned',
  'proc.state',
  'proc.priority',
  'proc.step',
  'proc.step-rejected',
  'proc.tool-result',
  'proc.exited',
]);

/** Not worth a line: per-subscriber notices and progress that means nothing after a restart. */
const NOT_JOURNALED = new Set<KernelEvent['type']>(['bus.lagged', 'model.loading', 'model.download', 'models.changed']);

/**
 * Append-only event log. Every event is handed to the OS with a synchronous write before the
 * kernel continues (so a kill -9 loses at most what is being decoded), lifecycle events are
 * fdatasync'd at once, and token output is fdatasync'd in groups every `groupCommitMs`.
 */
export class Journal implements Disposable {
  private readonly fd: number;
  private dirty = false;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly path: string,
    groupCommitMs = 100,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a', 0o600);
    this.timer = setInterval(() => this.flush(), groupCommitMs);
    this.timer.unref();
  }

  append(event: KernelEvent): void {
    if (this.closed || NOT_JOURNALED.has(event.type)) return;
    writeSync(this.fd, JSON.stringify(event) + '\n');
    if (SYNC_NOW.has(event.type)) {
      fdatasyncSync(this.fd);
      this.dirty = false;
    } else {
      this.dirty = true;
    }
  }

  flush(): void {
    if (this.closed || !this.dirty) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  dispose(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
}

export interface JournalReadResult {
  events: KernelEvent[];
  /** Lines that were not valid events: a torn final line after a crash, or damage. */
  skippedLines: { line: number; reason: string }[];
}

/** Reads a journal, keeping every valid event and reporting, not hiding, the rest. */
export function readJournal(path: string): JournalReadResult {
  if (!existsSync(path)) return { events: [], skippedLines: [] };
  const lines = readFileSync(path, 'utf8').split('\n');
  const events: KernelEvent[] = [];
  const skippedLines: JournalReadResult['skippedLines'] = [];
  lines.forEach((text, index) => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const torn = index >= lines.length - 2;
      skippedLines.push({ line: index + 1, reason: torn ? 'torn final line (crash mid-write)' : 'not JSON' });
      return;
    }
    const parsed = KernelEventSchema.safeParse(value);
    if (parsed.success) events.push(parsed.data);
    else skippedLines.push({ line: index + 1, reason: 'not a kernel event' });
  });
  return { events, skippedLines };
}
