import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/fixtures.js';
import { keyedDigest, loadOrCreateKernelKey } from './kernel-key.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('the kernel key', () => {
  it('is created once, readable by the user alone, and the same on every load', () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const first = loadOrCreateKernelKey(dir.path);
    const second = loadOrCreateKernelKey(dir.path);
    expect(first.length).toBe(32);
    expect(second.equals(first)).toBe(true);
    expect(statSync(join(dir.path, 'keys', 'kernel.key')).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir.path, 'keys'))).toEqual(['kernel.key']);
    expect(keyedDigest(first, 'x')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('replaces an empty key left by a crash instead of refusing every boot, and refuses a damaged one', () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    loadOrCreateKernelKey(dir.path);
    const path = join(dir.path, 'keys', 'kernel.key');
    writeFileSync(path, '');
    expect(loadOrCreateKernelKey(dir.path).length).toBe(32);
    writeFileSync(path, 'short');
    expect(() => loadOrCreateKernelKey(dir.path)).toThrow(/5 bytes, not 32: it was damaged/);
    expect(existsSync(path)).toBe(true);
  });
});
