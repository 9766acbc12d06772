import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
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
  try {
    // 'wx': exactly one creator wins; everyone else reads what it wrote.
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(KEY_BYTES));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(path, 0o600);
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) throw new KernelError('INTERNAL', `the kernel key ${path} is ${key.length} bytes, not ${KEY_BYTES}: it was damaged`);
  return key;
}

/** HMAC-SHA256 of a text under the kernel key, hex. */
export function keyedDigest(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
