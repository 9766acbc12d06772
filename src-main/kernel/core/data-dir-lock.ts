import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Disposable } from './disposable.js';
import { KernelError } from './kernel-error.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks this process holds: a lock file naming our own pid may be a leftover of an earlier process with the same pid. */
const heldHere = new Set<string>();

/** One kernel per data directory: the journal has a single writer. A lock left by a dead process is taken over. */
export function lockDataDir(dataDir: string): Disposable {
  const path = join(dataDir, 'kernel.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(path);
      return {
        dispose: () => {
          heldHere.delete(path);
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      const ownedByOther = owner === process.pid ? heldHere.has(path) : Number.isInteger(owner) && owner > 0 && isAlive(owner);
      if (ownedByOther) {
        throw new KernelError('INVALID_STATE', `data directory ${dataDir} is in use by another kernel (pid ${owner})`, { pid: owner });
      }
      rmSync(path, { force: true });
    }
  }
  throw new KernelError('INVALID_STATE', `could not lock data directory ${dataDir}`);
}
