import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError } from './kernel-error.js';

const KEY_BYTES = 32;

/**
 * The kernel's secret key: `<data dir>/keys/kernel.key`, 32 random bytes, readable by the user
 * alone. What the kernel must be able to tell apart from a forgery made by someone who can write
 * its files (the audit chain's anchor, the grant store) is MACed with it. A plugin never sees it:
 * the data directory is never grantable.
 */
export function loadOrCreateKernelKey(dataDir: string): Buffer {
  const folder = join(dataDir, 'keys');
  const path = join(folder, 'kernel.key');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (!existsSync(path) || statSync(path).size === 0) createKey(path);
  chmodSync(path, 0o600);
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) throw new KernelError('INTERNAL', `the kernel key ${path} is ${key.length} bytes, not ${KEY_BYTES}: it was damaged`);
  return key;
}

/**
 * Written whole to a temporary file, synced, then linked into place: a crash never leaves a short
 * key behind, and when two kernels race, the first link wins and both read its bytes. An empty key
 * file (an older kernel's crash mid-write) protected nothing and is replaced.
 */
function createKey(path: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (existsSync(path) && statSync(path).size === 0) rmSync(path);
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** HMAC-SHA256 of a text under the kernel key, hex. */
export function keyedDigest(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
