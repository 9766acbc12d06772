import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentManifest, KernelEventBody } from '../../../src-shared/index.js';
import { freshProcessInfo, parseAgentManifest } from '../../../src-shared/index.js';
import { tempDir } from '../../test-support/fixtures.js';
import { EventBus } from './event-bus.js';
import { compactionTempPath, Journal, readJournal } from './journal.js';
import { openJournal } from './journal-boot.js';
import { MAX_JOURNAL_LINE_BYTES } from './journal-reader.js';
import { ProcessTable } from './process-table.js';

const parsed = parseAgentManifest({ id: 'looper', name: 'Looper', description: 'loops', systemPrompt: 'loop', kind: 'background', tools: [] });
if (!parsed.ok) throw new Error(parsed.message);
const manifest: AgentManifest = parsed.manifest;

/** The kernel's wiring of the journal, without the rest of the kernel: replay, then bus → projection → journal. */
function bootJournal(path: string, limits: { compactAfterBytes?: number; compactAfterEvents?: number } = {}) {
  const table = new ProcessTable();
  const opened = openJournal(path, table, limits);
  const bus = new EventBus();
  bus.resumeSequence(opened.projection.lastSeq);
  bus.on((event) => opened.projection.apply(event));
  bus.on((event) => opened.journal.append(event));
  bus.on((event) => seen.push(event.seq));
  return { table, bus, opened, emit: (body: KernelEventBody) => bus.emit(body), close: () => opened.journal.dispose() };
}

const spawned = (pid: number): KernelEventBody => ({ type: 'proc.spawned', process: freshProcessInfo(pid, manifest, `task ${pid}`, { class: 'normal', nice: 0 }), manifest });
/** Every sequence number the test kernels handed out, in order. */
let seen: number[] = [];
const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');

describe('journal', () => {
  const dirs: { dispose: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => dir.dispose()));
  afterEach(() => void (seen = []));
  const journalPath = (name = 'events.jsonl'): string => {
    const dir = tempDir();
    dirs.push(dir);
    mkdirSync(join(dir.path, 'journal'));
    return join(dir.path, 'journal', name);
  };

  it('appends every event as a line and reads them back', () => {
    const path = journalPath();
    const journal = new Journal(path);
    const bus = new EventBus();
    bus.on((event) => journal.append(event));
    bus.emit({ type: 'kernel.started', version: '1' });
    bus.emit({ type: 'proc.output', pid: 1, step: 1, text: 'hi' });
    bus.emit({ type: 'bus.lagged', dropped: 3 });
    journal.dispose();
    expect(lines(path)).toHaveLength(2);
    const { events, skippedLines } = readJournal(path);
    expect(events.map((e) => e.type)).toEqual(['kernel.started', 'proc.output']);
    expect(skippedLines).toEqual([]);
  });

  it('keeps every whole event when the last line was torn by a crash', () => {
    const path = journalPath();
    const journal = new Journal(path);
    const bus = new EventBus();
    bus.on((event) => journal.append(event));
    bus.emit({ type: 'kernel.started', version: '1' });
    journal.dispose();
    appendFileSync(path, '{"type":"proc.output","pid":1,"st');
    const { events, skippedLines } = readJournal(path);
    expect(events).toHaveLength(1);
    expect(skippedLines).toEqual([{ line: 2, reason: 'torn final line (crash mid-write)' }]);
  });

  it('reports a damaged line in the middle and keeps the rest', () => {
    const path = journalPath();
    appendFileSync(path, '{"type":"kernel.started","version":"1","seq":1,"at":1}\n{"nonsense":true}\n{"type":"kernel.started","version":"2","seq":2,"at":2}\n');
    const { events, skippedLines } = readJournal(path);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(skippedLines).toEqual([{ line: 2, reason: 'not a kernel event' }]);
  });

  it('cuts a torn last line off before appending: the next event is whole and sequence numbers keep rising', () => {
    const path = journalPath();
    const first = bootJournal(path);
    first.emit(spawned(1));
    first.emit({ type: 'proc.output', pid: 1, step: 1, text: 'once upon' });
    first.close();
    // A crash in the middle of writing event 3.
    appendFileSync(path, '{"type":"proc.output","pid":1,"step":1,"text":" a ti');
    // The first kernel compacted at its clean shutdown: the torn line follows the snapshot's lines.
    const tornLine = lines(path).length;

    const second = bootJournal(path);
    expect(second.opened.skippedLines).toEqual([{ line: tornLine, reason: 'torn final line (crash mid-write)' }]);
    second.emit({ type: 'proc.output', pid: 1, step: 1, text: ' a time' });
    second.emit({ type: 'proc.state', pid: 1, state: 'suspended', slot: null });
    second.close();

    const third = bootJournal(path);
    expect(third.opened.skippedCount).toBe(0);
    expect(third.table.transcript(1)).toEqual([
      { kind: 'task', text: 'task 1' },
      { kind: 'output', step: 1, text: 'once upon a time' },
    ]);
    expect(third.table.get(1).state).toBe('suspended');
    third.emit({ type: 'kernel.started', version: 'x' });
    third.close();
    const fourth = bootJournal(path);
    // Across all restarts, each event numbered after every one before it: none reused.
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(fourth.opened.projection.lastSeq).toBe(5);
    fourth.close();
  });

  it('a torn last line that is a whole event (only its newline lost) is kept and ended', () => {
    const path = journalPath();
    writeFileSync(path, '{"type":"kernel.started","version":"1","seq":1,"at":1}\n{"type":"kernel.started","version":"2","seq":2,"at":2}');
    const boot = bootJournal(path);
    expect(boot.opened.projection.lastSeq).toBe(2);
    boot.emit({ type: 'kernel.started', version: '3' });
    boot.close();
    expect(readJournal(path).skippedLines).toEqual([]);
  });

  it('streams the file: a line over the limit is skipped and reported without being parsed, the lines around it kept', () => {
    const path = journalPath();
    const huge = `{"type":"proc.output","pid":1,"step":1,"text":"${'x'.repeat(MAX_JOURNAL_LINE_BYTES + 10)}","seq":2,"at":2}`;
    writeFileSync(path, `{"type":"kernel.started","version":"1","seq":1,"at":1}\n${huge}\n{"type":"kernel.started","version":"2","seq":3,"at":3}\n`);
    const { events, skippedLines } = readJournal(path);
    expect(events.map((e) => e.seq)).toEqual([1, 3]);
    expect(skippedLines).toEqual([{ line: 2, reason: expect.stringMatching(/^line longer than 1048576 bytes/) }]);
  });

  it('never writes a line the reader would refuse: an oversized event keeps its place and shape, not its bulk', () => {
    const path = journalPath();
    const boot = bootJournal(path);
    boot.emit(spawned(1));
    boot.emit({ type: 'proc.tool-result', pid: 1, step: 1, tool: 'calculator', ok: true, value: 'v'.repeat(2 * MAX_JOURNAL_LINE_BYTES), durationMs: 1 });
    boot.emit({ type: 'proc.input', pid: 1, afterStep: 1, text: 'é'.repeat(MAX_JOURNAL_LINE_BYTES) });
    boot.opened.journal.flush();
    const { events, skippedLines } = readJournal(path);
    expect(skippedLines).toEqual([]);
    expect(events[1]).toMatchObject({ type: 'proc.tool-result', step: 1, ok: true, value: expect.stringMatching(/bytes: too large for the journal\]$/) });
    expect(events[2]).toMatchObject({ type: 'proc.input', text: expect.stringMatching(/^éé.*too large for the journal\]$/) });
    boot.close();
  });

  it('a snapshot of large transcripts stays readable: long output split and joined again, an oversized result shrunk', () => {
    const path = journalPath();
    const live = bootJournal(path);
    live.emit(spawned(1));
    for (let i = 0; i < 60; i++) live.emit({ type: 'proc.output', pid: 1, step: 1, text: 'é😀'.repeat(5_000) });
    live.emit({ type: 'proc.tool-result', pid: 1, step: 1, tool: 'calculator', ok: true, value: 'v'.repeat(MAX_JOURNAL_LINE_BYTES / 2), durationMs: 1 });
    const output = live.table.transcript(1)[1];
    live.close();
    const again = bootJournal(path);
    expect(again.opened.skippedLines).toEqual([]);
    expect(again.table.transcript(1)[1]).toEqual(output);
    expect(again.table.transcript(1)[2]).toMatchObject({ kind: 'tool-result', value: expect.stringMatching(/too large for the journal\]$/) });
    again.close();
  });

  it('compacts past its limits into a snapshot plus a short tail, and boot rebuilds the same table from it', () => {
    const path = journalPath();
    const live = bootJournal(path, { compactAfterEvents: 200 });
    live.emit(spawned(1));
    live.emit(spawned(2));
    live.emit({ type: 'interrupt.bound', binding: { id: 'b1', agentId: 'looper', trigger: { source: 'timer', everyMs: 60_000 }, maxPerSecond: 1, createdAt: 1 } });
    for (let i = 0; i < 2_000; i++) live.emit({ type: 'proc.output', pid: 1 + (i % 2), step: 1 + Math.floor(i / 100), text: `t${i} ` });
    live.emit({ type: 'proc.counters', pid: 1, counters: { ...live.table.get(1).counters, tokensOut: 1000, steps: 20 } });
    live.emit({ type: 'proc.reaped', pids: [] });
    // Compaction runs right after the emitting call: wait for it, as the kernel's event loop would.
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      expect(live.opened.journal.compactedAt).not.toBeNull();
      // Bounded: the snapshot's lines plus fewer than 200 events, not 2,000 events.
      expect(lines(path).length).toBeLessThan(200 + 20);
      const before = { list: live.table.list(), t1: live.table.transcript(1), t2: live.table.transcript(2) };
      live.emit({ type: 'proc.output', pid: 2, step: 99, text: 'after' });
      live.close();
      const again = bootJournal(path);
      expect(again.opened.skippedLines).toEqual([]);
      expect(again.table.list()).toEqual(before.list);
      expect(again.table.transcript(1)).toEqual(before.t1);
      expect(again.table.transcript(2)).toEqual([...before.t2, { kind: 'output', step: 99, text: 'after' }]);
      expect([...again.opened.projection.bindings.keys()]).toEqual(['b1']);
      expect(again.table.nextPid()).toBe(3);
      expect(again.opened.projection.lastSeq).toBe(live.opened.projection.lastSeq);
      again.close();
    });
  });

  it('compacts at a clean shutdown, so the next boot reads only a snapshot; nothing is counted twice', () => {
    const path = journalPath();
    const first = bootJournal(path);
    first.emit(spawned(1));
    for (let i = 0; i < 50; i++) first.emit({ type: 'proc.output', pid: 1, step: 1, text: 'ab' });
    first.emit({ type: 'proc.counters', pid: 1, counters: { ...first.table.get(1).counters, tokensOut: 50, steps: 1, toolCalls: 1 } });
    const counters = first.table.get(1).counters;
    first.close();
    expect(readJournal(path).events).toEqual([]);
    const second = bootJournal(path);
    expect(second.table.get(1).counters).toEqual(counters);
    expect(second.table.transcript(1)[1]).toEqual({ kind: 'output', step: 1, text: 'ab'.repeat(50) });
    // A second clean restart with nothing new leaves the same state again.
    second.close();
    const third = bootJournal(path);
    expect(third.table.get(1).counters).toEqual(counters);
    expect(third.table.transcript(1)).toEqual(second.table.transcript(1));
    third.close();
  });

  it.each([
    ['a half-written temporary file', (path: string) => writeFileSync(compactionTempPath(path), '{"snapshot":"begin","version":1,"seq":9')],
    [
      'a whole temporary file not yet renamed',
      (path: string) => {
        const table = new ProcessTable();
        const opened = openJournal(path, table);
        writeFileSync(compactionTempPath(path), [...opened.projection.snapshotLines()].join('\n') + '\n');
      },
    ],
  ])('a crash during compaction leaves a bootable journal: %s', (_label, crashState) => {
    const path = journalPath();
    const live = bootJournal(path);
    live.emit(spawned(1));
    live.emit({ type: 'proc.output', pid: 1, step: 1, text: 'kept' });
    live.opened.journal.flush();
    const state = { list: live.table.list(), transcript: live.table.transcript(1) };
    // The process dies here: no dispose, so no clean-shutdown compaction.
    crashState(path);
    const again = bootJournal(path);
    expect(again.opened.skippedLines).toEqual([]);
    expect(again.table.list()).toEqual(state.list);
    expect(again.table.transcript(1)).toEqual(state.transcript);
    expect(existsSync(compactionTempPath(path))).toBe(false);
    again.close();
    live.opened.journal.dispose();
  });

  it('a journal with damaged lines is kept aside when it is compacted', () => {
    const path = journalPath();
    writeFileSync(path, '{"type":"kernel.started","version":"1","seq":1,"at":1}\nnot json at all\n');
    const boot = bootJournal(path);
    expect(boot.opened.skippedCount).toBe(1);
    boot.emit({ type: 'kernel.started', version: '2' });
    boot.close();
    const aside = readdirSync(join(path, '..')).filter((file) => file.includes('.damaged-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(path, '..', aside[0]!), 'utf8')).toContain('not json at all');
    expect(statSync(path).size).toBeGreaterThan(0);
  });
});
