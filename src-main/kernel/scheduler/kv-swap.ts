import { existsSync, mkdirSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KernelError } from '../core/kernel-error.js';
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
  /** Swaps under way: dispose waits for them, or it would remove the folder while a file is being written into it. */
  private readonly pending = new Set<Promise<unknown>>();
  private disposed = false;

  constructor(
    readonly location: SwapLocation,
    diskDirectory: string,
    readonly identity: KvIdentity,
  ) {
    const ram = process.platform === 'linux' && existsSync('/dev/shm') ? join('/dev/shm', `amk-swap-${process.pid}`) : null;
    this.directory = location === 'ram' && ram ? ram : diskDirectory;
    mkdirSync(this.directory, { recursive: true });
  }

  swapOut(pid: number, slot: LlmSlot): Promise<SwappedState> {
    return this.track(async () => {
      const path = join(this.directory, `pid-${pid}.kv`);
      // Not synced: a swap file never outlives this kernel process (a restart re-prefills or restores a snapshot).
      const header = await saveKvState(slot, path, this.identity, { pid }, { durable: false });
      return { path, bytes: header.stateBytes, location: this.location };
    });
  }

  swapIn(state: SwappedState, slot: LlmSlot): Promise<void> {
    return this.track(async () => {
      await loadKvState(slot, state.path, this.identity);
    });
  }

  /** Takes a state file made elsewhere (a snapshot, a handoff) as this process's swapped state. */
  adopt(pid: number, source: string, bytes: number): Promise<SwappedState> {
    return this.track(async () => {
      const path = join(this.directory, `pid-${pid}.kv`);
      await copyFile(source, path);
      return { path, bytes, location: this.location };
    });
  }

  private track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new KernelError('INVALID_STATE', 'the KV swapper is shut down'));
    const running = operation();
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return running;
  }

  async discard(state: SwappedState): Promise<void> {
    await rm(state.path, { force: true });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all(this.pending);
    if (this.directory.startsWith('/dev/shm/')) await rm(this.directory, { recursive: true, force: true, maxRetries: 3 });
  }
}
