import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src-shared/index.js';
import { AuditLog, type AuditEntry } from '../kernel/core/audit-log.js';
import { boundString, MAX_RECORD_BYTES } from '../kernel/core/audit-record.js';
import { loadOrCreateKernelKey } from '../kernel/core/kernel-key.js';
import { handleKernelRequest } from '../kernel/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { fuzzParameters } from './fuzz-settings.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return { pid: 1, agentId: 'a', kind: 'tool', name: 'calculator', argsDigest: null, capability: null, outcome: 'ok', reason: 'done', resultBytes: 3, durationMs: 1, ...overrides };
}

/** A data dir with a log of `count` records, closed (so anchored), and what a fresh open needs. */
async function writtenLog(count: number): Promise<{ dir: string; path: string; anchor: string; key: Buffer }> {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const key = loadOrCreateKernelKey(dir.path);
  const path = join(dir.path, 'audit', 'audit.jsonl');
  const log = await AuditLog.open({ path, key });
  for (let index = 0; index < count; index++) log.append(entry({ outcome: index === 1 ? 'denied' : 'ok', reason: `record ${index + 1}` }));
  log.dispose();
  return { dir: dir.path, path, anchor: join(dir.path, 'audit', 'anchor.json'), key };
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const writeLines = (path: string, records: unknown[]): void => writeFileSync(path, records.map((r) => JSON.stringify(r) + '\n').join(''));

/** After an attack is reported, the same folder still gives a working log: set aside, new chain. */
async function stillServes(path: string, key: Buffer, problem: RegExp): Promise<void> {
  const log = await AuditLog.open({ path, key });
  expect(log.loadProblem).toMatch(problem);
  expect(log.loadProblem).toMatch(/set aside as .*tampered/);
  expect(log.append(entry()).seq).toBe(1);
  expect(await log.verify()).toEqual({ ok: true, records: 1, problem: null });
  log.dispose();
}

describe('the audit log against someone who can write its files but not read the kernel key', () => {
  it('deleting the last records is reported as truncated, offline, live, and on boot', async () => {
    const { path, key } = await writtenLog(5);
    writeFileSync(path, lines(path).slice(0, 3).map((line) => line + '\n').join(''));
    expect(await AuditLog.verifyFile(path, key)).toEqual({ ok: false, records: 3, problem: 'the log was truncated: the anchor holds 5 records, the log has 3' });
    await stillServes(path, key, /truncated/);
  });

  it('a running kernel notices its log was truncated under it, and keeps answering', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const kernel = await bootTestKernel(dir.path);
    cleanups.push(() => kernel.dispose());
    for (let index = 0; index < 3; index++) kernel.audit.append(entry());
    const path = join(dir.path, 'audit', 'audit.jsonl');
    writeFileSync(path, lines(path)[0] + '\n');
    expect(await handleKernelRequest(kernel, 'audit.verify', {})).toEqual({ ok: false, records: 1, problem: 'the log was truncated: the kernel wrote 3 records, the file has 1' });
    expect(await handleKernelRequest(kernel, 'proc.list', {})).toEqual([]);
  });

  it('a whole chain rewritten and re-hashed without the key does not verify', async () => {
    const { path, anchor, key } = await writtenLog(4);
    // The attacker turns the denial into an approval and re-hashes everything, as sha256 and under a guessed key.
    for (const hash of [(text: string) => createHash('sha256').update(text).digest('hex'), (text: string) => createHmac('sha256', 'guess').update(text).digest('hex')]) {
      let previous = '0'.repeat(64);
      const forged = lines(path).map((line) => {
        const { hash: _old, ...record } = JSON.parse(line) as AuditRecord;
        const rewritten = { ...record, outcome: record.outcome === 'denied' ? 'allowed' : record.outcome, prevHash: previous };
        previous = hash(JSON.stringify(rewritten));
        return { ...rewritten, hash: previous };
      });
      const copy = `${path}.forged`;
      writeLines(copy, forged);
      copyFileSync(anchor, join(path, '..', 'anchor.json.keep'));
      expect(await AuditLog.verifyFile(copy, key)).toMatchObject({ ok: false, records: 0, problem: 'record 1 (line 1) is forged or edited: its HMAC does not verify under the kernel key' });
      // A forged anchor to go with it does not help either.
      writeFileSync(anchor, JSON.stringify({ version: 1, records: forged.length, head: previous, mac: hash(`${forged.length}\n${previous}`) }));
      expect(await AuditLog.verifyFile(path, key)).toMatchObject({ ok: false, problem: 'the anchor is forged: its HMAC does not verify under the kernel key' });
      copyFileSync(join(path, '..', 'anchor.json.keep'), anchor);
    }
    expect(await AuditLog.verifyFile(path, key)).toEqual({ ok: true, records: 4, problem: null });
    unlinkSync(anchor);
    expect(await AuditLog.verifyFile(path, key)).toMatchObject({ ok: false, problem: expect.stringContaining('the anchor file is missing') });
    await stillServes(path, key, /anchor file is missing/);
  });

  it('one edited record fails at that record', async () => {
    const { path, key } = await writtenLog(5);
    const records = lines(path).map((line) => JSON.parse(line) as AuditRecord);
    writeLines(path, records.map((record) => (record.seq === 3 ? { ...record, reason: 'nothing to see' } : record)));
    expect(await AuditLog.verifyFile(path, key)).toEqual({ ok: false, records: 2, problem: 'record 3 (line 3) is forged or edited: its HMAC does not verify under the kernel key' });
    writeLines(path, [records[0], records[2], records[1], records[3], records[4]]);
    expect(await AuditLog.verifyFile(path, key)).toMatchObject({ ok: false, problem: expect.stringMatching(/^the chain breaks at record 3 \(line 2\)/) });
    await stillServes(path, key, /chain breaks at record 3/);
  });

  it('a megabyte in every field writes one bounded record, and the kernel boots again on it', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const first = await bootTestKernel(dir.path);
    const huge = 'k'.repeat(1 << 20);
    const record = first.audit.append(entry({ agentId: huge, name: huge, capability: `fs:read:/${huge}`, reason: huge, argsDigest: huge }));
    expect(record.reason).toMatch(/…\[\+\d+ bytes\]$/);
    expect(record.reason.length).toBeLessThan(5000);
    await first.dispose();
    const path = join(dir.path, 'audit', 'audit.jsonl');
    expect(statSync(path).size).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    const second = await bootTestKernel(dir.path);
    cleanups.push(() => second.dispose());
    expect(second.info().warnings.filter((warning) => warning.startsWith('audit log'))).toEqual([]);
    expect(await second.audit.verify()).toEqual({ ok: true, records: 1, problem: null });
    expect(second.audit.query({ agentId: record.agentId ?? '' })).toHaveLength(1);
  });

  it('boundString never exceeds its bound, keeps a prefix, and says how much it cut', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), fc.integer({ min: 40, max: 600 }), (text, max) => {
        const bounded = boundString(text, max);
        expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(max);
        if (bounded === text) return;
        const cut = /^([\s\S]*)…\[\+(\d+) bytes\]$/.exec(bounded);
        expect(cut).not.toBeNull();
        expect(text.startsWith(cut?.[1] ?? '\u0000')).toBe(true);
        expect(Number(cut?.[2])).toBe(Buffer.byteLength(text) - Buffer.byteLength(cut?.[1] ?? ''));
      }),
      fuzzParameters(300),
    );
  });
});

describe('the audit log across crashes', () => {
  it('records written after the last anchor (a crash before the anchor write) still verify', async () => {
    const { path, anchor, key } = await writtenLog(2);
    const before = readFileSync(anchor);
    const log = await AuditLog.open({ path, key });
    for (let index = 0; index < 3; index++) log.append(entry());
    log.dispose();
    writeFileSync(anchor, before);
    expect(await AuditLog.verifyFile(path, key)).toEqual({ ok: true, records: 5, problem: null });
    const reopened = await AuditLog.open({ path, key });
    expect(reopened.loadProblem).toBeNull();
    expect(reopened.append(entry()).seq).toBe(6);
    reopened.dispose();
  });

  it('a last record cut short by a crash is dropped and said so; the chain goes on', async () => {
    const { path, key } = await writtenLog(3);
    appendFileSync(path, '{"seq":4,"at":1,"pid":1,"agentId":"a","ki');
    const log = await AuditLog.open({ path, key });
    expect(log.loadProblem).toBe('the last record was cut short by a crash (after record 3) and was dropped');
    expect(log.append(entry()).seq).toBe(4);
    expect(await log.verify()).toEqual({ ok: true, records: 4, problem: null });
    log.dispose();
  });

  it('boot sets aside a log that does not verify, shows why, and keeps serving', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const first = await bootTestKernel(dir.path);
    for (let index = 0; index < 3; index++) first.audit.append(entry());
    await first.dispose();
    const path = join(dir.path, 'audit', 'audit.jsonl');
    writeFileSync(path, `${lines(path)[0]}\n${'x'.repeat(100_000)}\n`);
    const second = await bootTestKernel(dir.path);
    cleanups.push(() => second.dispose());
    expect(second.info().warnings).toContainEqual(expect.stringMatching(/^audit log: line 2 is longer than 16384 bytes.* set aside as .*tampered/));
    expect(readdirSync(join(dir.path, 'audit')).filter((name) => name.includes('.tampered-'))).toHaveLength(2);
    second.audit.append(entry());
    expect(await handleKernelRequest(second, 'audit.verify', {})).toEqual({ ok: true, records: 1, problem: null });
    expect(await handleKernelRequest(second, 'proc.list', {})).toEqual([]);
  });

  it('a link planted in place of the log or its anchor is set aside, and nothing is written through it', async () => {
    const { dir, path, anchor, key } = await writtenLog(2);
    const victim = join(dir, 'victim.txt');
    for (const planted of [path, `${anchor}.tmp`]) {
      writeFileSync(victim, 'precious');
      if (planted === path) renameSync(path, `${path}.real`);
      symlinkSync(victim, planted);
      const log = await AuditLog.open({ path, key });
      log.append(entry({ outcome: 'denied' }));
      expect(await log.verify()).toMatchObject({ ok: true });
      log.dispose();
      expect(readFileSync(victim, 'utf8')).toBe('precious');
      if (planted === path) expect(log.loadProblem).toMatch(/audit\.jsonl is not a regular file \(a link\?\).*set aside/);
    }
  });

  it('memory holds the newest records only; the file and verify keep them all', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const path = join(dir.path, 'audit', 'audit.jsonl');
    const log = await AuditLog.open({ path, key: loadOrCreateKernelKey(dir.path), memoryRecords: 3 });
    for (let index = 0; index < 10; index++) log.append(entry({ pid: index }));
    expect(log.query().map((record) => record.seq)).toEqual([8, 9, 10]);
    expect(log.query({ pid: 9 }).map((record) => record.seq)).toEqual([10]);
    expect(await log.verify()).toEqual({ ok: true, records: 10, problem: null });
    log.dispose();
    expect(existsSync(join(dir.path, 'audit', 'anchor.json'))).toBe(true);
  });
});
