import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentManifest, KernelEvent, KernelEventBody } from '../../src-shared/index.js';
import { freshProcessInfo, parseAgentManifest } from '../../src-shared/index.js';
import { openJournal } from '../kernel/core/journal-boot.js';
import { readJournal } from '../kernel/core/journal.js';
import { MAX_JOURNAL_LINE_BYTES } from '../kernel/core/journal-reader.js';
import { ProcessTable } from '../kernel/core/process-table.js';
import { handleKernelRequest } from '../kernel/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { fuzzParameters } from './fuzz-settings.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const parsed = parseAgentManifest({ id: 'echo', name: 'Echo', description: 'e', systemPrompt: 'e', kind: 'background', tools: ['calculator'] });
if (!parsed.ok) throw new Error(parsed.message);
const manifest: AgentManifest = parsed.manifest;

const event = (body: KernelEventBody, seq: number): KernelEvent => ({ ...body, seq, at: 1_700_000_000_000 + seq }) as KernelEvent;
const spawnedEvent = (pid: number, seq: number): KernelEvent =>
  event({ type: 'proc.spawned', process: freshProcessInfo(pid, manifest, `task ${pid}`, { class: 'normal', nice: 0 }), manifest }, seq);

function journalIn(dir: string, content: Buffer | string): string {
  mkdirSync(join(dir, 'journal'), { recursive: true });
  const path = join(dir, 'journal', 'events.jsonl');
  writeFileSync(path, content);
  return path;
}

describe('hostile journal lines', () => {
  it('boots past huge, deeply nested, non-UTF-8, wrongly shaped, replayed and orphaned lines, reports each, and keeps serving', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const lines: (string | Buffer)[] = [
      JSON.stringify(spawnedEvent(1, 1)),
      JSON.stringify(event({ type: 'proc.output', pid: 1, step: 1, text: 'kept' }, 2)),
      // 1 MiB and more on one line: skipped unparsed.
      JSON.stringify(event({ type: 'proc.output', pid: 1, step: 1, text: 'x'.repeat(MAX_JOURNAL_LINE_BYTES) }, 3)),
      // Nesting that would exhaust the stack when the transcript is cloned or printed.
      `{"type":"proc.tool-result","pid":1,"step":1,"tool":"calculator","ok":true,"value":${deep},"durationMs":1,"seq":4,"at":4}`,
      // Not UTF-8: would otherwise be read as replacement characters and kept silently.
      Buffer.concat([Buffer.from('{"type":"proc.output","pid":1,"step":1,"text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","seq":5,"at":5}')]),
      // Valid JSON, wrong shapes.
      '{"type":"proc.spawned","process":42,"seq":6,"at":6}',
      '[]',
      '"just a string"',
      '{"snapshot":"process","info":{}}',
      // Replayed and out-of-order sequence numbers: applying them would double the output.
      JSON.stringify(event({ type: 'proc.output', pid: 1, step: 1, text: 'kept' }, 2)),
      JSON.stringify(event({ type: 'proc.output', pid: 1, step: 1, text: ' twice' }, 1)),
      // Events for a pid never spawned, and a pid spawned twice.
      JSON.stringify(event({ type: 'proc.output', pid: 77, step: 1, text: 'ghost' }, 7)),
      JSON.stringify(event({ type: 'proc.exited', pid: 78, state: 'exited', exit: { code: 0, reason: 'ghost' } }, 8)),
      JSON.stringify(spawnedEvent(1, 9)),
      // Numbers past 2^53: numbering would stop rising, pids would repeat.
      JSON.stringify(event({ type: 'kernel.started', version: 'x' }, 1e300)),
      JSON.stringify(spawnedEvent(2 ** 60, 9)),
      JSON.stringify(event({ type: 'proc.exited', pid: 1, state: 'exited', exit: { code: 0, reason: 'done' } }, 10)),
    ];
    journalIn(dir.path, Buffer.concat(lines.map((line) => Buffer.concat([Buffer.from(line), Buffer.from('\n')]))));

    const kernel = await bootTestKernel(dir.path);
    cleanups.push(() => kernel.dispose());
    const journal = kernel.info().journal;
    expect(journal.skippedLines).toBe(14);
    expect(kernel.report.journalSkippedLines.map((skipped) => [skipped.line, skipped.reason])).toEqual([
      [3, expect.stringMatching(/^line longer than 1048576 bytes/)],
      [4, 'JSON nested deeper than 128 levels'],
      [5, 'not valid UTF-8'],
      [6, 'not a kernel event'],
      [7, 'not a kernel event'],
      [8, 'not a kernel event'],
      [9, 'not a valid snapshot record'],
      [10, 'sequence 2 is not after 2 (duplicate or out of order)'],
      [11, 'sequence 1 is not after 2 (duplicate or out of order)'],
      [12, 'proc.output for unknown pid 77'],
      [13, 'proc.exited for unknown pid 78'],
      [14, 'pid 1 spawned twice'],
      // The schema takes safe integers only.
      [15, 'not a kernel event'],
      [16, 'not a kernel event'],
    ]);
    expect(journal.problems).toHaveLength(5);
    expect(kernel.info().warnings).toContainEqual(expect.stringMatching(/^journal: 14 line\(s\) skipped on load \(line 3: line longer/));
    // What was whole came back, once.
    expect(kernel.transcript(1)).toEqual([
      { kind: 'task', text: 'task 1' },
      { kind: 'output', step: 1, text: 'kept' },
    ]);
    expect(kernel.table.get(1).state).toBe('exited');

    // The next valid request is served: a new process runs to its end, numbered after the journal's.
    const spawned = (await handleKernelRequest(kernel, 'proc.spawn', { agent: 'math-tutor', task: 'What is 2 + 2?' })) as { pid: number };
    expect(spawned.pid).toBe(2);
    expect(['exited', 'crashed']).toContain((await kernel.wait(spawned.pid, 120_000)).state);
    expect(await handleKernelRequest(kernel, 'proc.transcript', { pid: 1 })).toHaveLength(2);
  });

  it('fuzz: random lines mixed with valid events: every valid event comes back, every other line is reported, nothing throws', () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 80 }).map((text) => Buffer.from(`x${text.replaceAll('\n', ' ')}`)),
      fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
      fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.concat([Buffer.from([0xff]), Buffer.from(bytes.map((byte) => (byte === 0x0a ? 0x20 : byte)))])),
      fc.constantFrom('{"type":"proc.output","pid":1}', '{"type":"kernel.started","version":1,"seq":1,"at":1}', '{"snapshot":"end"}', '{"snapshot":"begin","version":1,"seq":0,"highestPid":0,"at":0}').map((text) => Buffer.from(text)),
    );
    // Each step is either junk or a valid event; valid events get rising sequence numbers.
    const script = fc.array(fc.oneof(fc.record({ junk }), fc.record({ valid: fc.constantFrom('spawn', 'output', 'state') as fc.Arbitrary<'spawn' | 'output' | 'state'> })), { maxLength: 60 });
    fc.assert(
      fc.property(script, fc.boolean(), (steps, torn) => {
        const dir = tempDir();
        try {
          const valid: KernelEvent[] = [];
          const lines: Buffer[] = [];
          let seq = 0;
          let pids = 0;
          let junkLines = 0;
          for (const step of steps) {
            if ('junk' in step) {
              lines.push(step.junk);
              junkLines++;
              continue;
            }
            const kind = step.valid === 'spawn' || pids === 0 ? 'spawn' : step.valid;
            const next =
              kind === 'spawn'
                ? spawnedEvent(++pids, ++seq)
                : kind === 'output'
                  ? event({ type: 'proc.output', pid: pids, step: 1, text: `t${seq}` }, ++seq)
                  : event({ type: 'proc.state', pid: pids, state: 'ready', slot: null }, ++seq);
            valid.push(next);
            lines.push(Buffer.from(JSON.stringify(next)));
          }
          const path = journalIn(dir.path, Buffer.concat([...lines.flatMap((line) => [line, Buffer.from('\n')]), Buffer.from(torn ? '{"type":"proc.out' : '')]));
          // The plain reader: the valid events, in order; each other line reported (a lone snapshot line is passed over).
          const read = readJournal(path);
          expect(read.events).toEqual(valid);
          // Boot's replay: the same events applied, everything else counted as skipped.
          const table = new ProcessTable();
          const opened = openJournal(path, table);
          expect(opened.projection.lastSeq).toBe(seq);
          expect(table.list().map((info) => info.pid)).toEqual(valid.filter((e) => e.type === 'proc.spawned').map((e) => (e.type === 'proc.spawned' ? e.process.pid : 0)));
          for (const e of valid) if (e.type === 'proc.output') expect(table.transcript(e.pid).some((entry) => entry.kind === 'output' && entry.text.includes(e.text))).toBe(true);
          expect(opened.skippedCount).toBe(junkLines + (torn ? 1 : 0));
          // And the journal goes on: appends land on a line of their own after the repaired tail.
          const after = event({ type: 'kernel.started', version: 'after' }, seq + 1);
          opened.projection.apply(after);
          opened.journal.append(after);
          opened.journal.dispose();
          const again = openJournal(path, new ProcessTable());
          expect(again.skippedCount).toBe(0);
          expect(again.projection.lastSeq).toBe(seq + 1);
          again.journal.dispose();
        } finally {
          dir.dispose();
        }
      }),
      fuzzParameters(60),
    );
  });
});
