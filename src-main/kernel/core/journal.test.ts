import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/fixtures.js';
import { EventBus } from './event-bus.js';
import { Journal, readJournal } from './journal.js';

describe('journal', () => {
  const dirs: { dispose: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => dir.dispose()));

  it('appends every event as a line and reads them back', () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, 'j', 'events.jsonl');
    const journal = new Journal(path);
    const bus = new EventBus();
    bus.on((event) => journal.append(event));
    bus.emit({ type: 'kernel.started', version: '1' });
    bus.emit({ type: 'proc.output', pid: 1, step: 1, text: 'hi' });
    bus.emit({ type: 'bus.lagged', dropped: 3 });
    journal.dispose();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
    const { events, skippedLines } = readJournal(path);
    expect(events.map((e) => e.type)).toEqual(['kernel.started', 'proc.output']);
    expect(skippedLines).toEqual([]);
  });

  it('keeps every whole event when the last line was torn by a crash', () => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, 'events.jsonl');
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
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, 'events.jsonl');
    appendFileSync(path, '{"type":"kernel.started","version":"1","seq":1,"at":1}\n{"nonsense":true}\n{"type":"kernel.started","version":"2","seq":2,"at":2}\n');
    const { events, skippedLines } = readJournal(path);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(skippedLines).toEqual([{ line: 2, reason: 'not a kernel event' }]);
  });
});
