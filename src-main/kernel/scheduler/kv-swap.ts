import { existsSync, mkdirSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadKvState, saveKvState, type KvIdentity, type LlmSlot } from '../llm/index.js';

export type SwapLocation = 'ram' | 'disk';

export interface SwappedState {
  path: string;
  bytes: number;
  location: SwapLocation;
}

/**
 * Moves a slot's KV state out to a file and back, in the same checked format as snapshots
 * (model hash, KV type, checksum). `ram` uses a memory-backed filesystem (/dev/shm) where the OS
 * has one; `disk` uses the data directory. A file that fails its checks is refused, and the
 * process re-prefills instead.
 */
export class KvSwapper {
  private readonly directory: string;

  constructor(
    readonly location: SwapLocation,
    diskDirectory: string,
    readonly identity: KvIdentity,
  ) {
    const ram = process.platform === 'linux' && existsSync('/dev/shm') ? join('/dev/shm', `amk-swap-${process.pid}`) : null;
    this.directory = location === 'ram' && ram ? ram : diskDirectory;
    mkdirSync(this.directory, { recursive: true });
  }

  async swapOut(pid: number, slot: LlmSlot): Promise<SwappedState> {
    const path = join(this.directory, `pid-${pid}.kv`);
    // Not synced: a swap file never outlives this kernel process (a restart re-prefills or restores a snapshot).
    const header = await saveKvState(slot, path, this.identity, { pid }, { durable: false });
    return { path, bytes: header.stateBytes, location: this.location };
  }

  async swapIn(state: SwappedState, slot: LlmSlot): Promise<void> {
    await loadKvState(slot, state.path, this.identity);
  }

  /** Takes a state file made elsewhere (a snapshot, a handoff) as this process's swapped state. */
  async adopt(pid: number, source: string, bytes: number): Promise<SwappedState> {
    const path = join(this.directory, `pid-${pid}.kv`);
    await copyFile(source, path);
    return { path, bytes, location: this.location };
  }

  async discard(state: SwappedState): Promise<void> {
    await rm(state.path, { force: true });
  }

  async dispose(): Promise<void> {
    if (this.directory.startsWith('/dev/shm/')) await rm(this.directory, { recursive: true, force: true });
  }
}
