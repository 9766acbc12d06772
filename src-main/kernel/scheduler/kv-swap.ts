import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LlmSlot } from '../llm/index.js';

export type SwapLocation = 'ram' | 'disk';

export interface SwappedState {
  path: string;
  bytes: number;
  sha256: string;
  location: SwapLocation;
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/**
 * Moves a slot's KV state out to a file and back. `ram` uses a memory-backed filesystem
 * (/dev/shm) where the OS has one; `disk` uses the data directory. Every file is checksummed,
 * and a file that no longer matches is refused: the process re-prefills instead.
 */
export class KvSwapper {
  private readonly directory: string;

  constructor(
    readonly location: SwapLocation,
    diskDirectory: string,
  ) {
    const ram = process.platform === 'linux' && existsSync('/dev/shm') ? join('/dev/shm', `amk-swap-${process.pid}`) : null;
    this.directory = location === 'ram' && ram ? ram : diskDirectory;
    mkdirSync(this.directory, { recursive: true });
  }

  async swapOut(pid: number, slot: LlmSlot): Promise<SwappedState> {
    const path = join(this.directory, `pid-${pid}.kv`);
    const bytes = await slot.saveState(path);
    return { path, bytes, sha256: await sha256File(path), location: this.location };
  }

  async swapIn(state: SwappedState, slot: LlmSlot): Promise<void> {
    const actual = await sha256File(state.path);
    if (actual !== state.sha256) throw new Error(`swap file ${state.path} was changed on disk (checksum mismatch)`);
    await slot.loadState(state.path);
  }

  async discard(state: SwappedState): Promise<void> {
    await rm(state.path, { force: true });
  }

  async dispose(): Promise<void> {
    if (this.directory.startsWith('/dev/shm/')) await rm(this.directory, { recursive: true, force: true });
  }
}
