import { existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { KernelEventBody } from '../../../src-shared/index.js';
import { toErrorPayload } from '../core/kernel-error.js';
import { kvCompatibility, readKvState, saveKvState, type KvIdentity, type KvStateHeader, type LlmSlot } from '../llm/index.js';

/** What a snapshot keeps beside the KV state, so a restore needs no re-tokenizing. */
export const SnapshotMeta = z.object({
  pid: z.number(),
  agentId: z.string(),
  /** Every token the KV state stands for, in order (the prompt and what was generated). */
  tokens: z.array(z.number().int()),
  steps: z.array(
    z.object({
      step: z.number(),
      actionText: z.string(),
      actionTokens: z.array(z.number().int()),
      resultText: z.string(),
      inputs: z.array(z.string()),
    }),
  ),
  leadingInputs: z.array(z.string()),
});
export type SnapshotMeta = z.infer<typeof SnapshotMeta>;

export interface Snapshot {
  path: string;
  header: KvStateHeader;
  meta: SnapshotMeta;
}

/**
 * `proc.snapshot`: an agent's KV state, token list and steps in one checked file per process
 * (`<data dir>/snapshots/pid-N.kv`), replaced atomically. Restores after a preemption, a clean
 * restart or a crash, and the source of a KV handoff.
 */
export class SnapshotStore {
  constructor(
    private readonly directory: string,
    private readonly identity: KvIdentity,
    private readonly emit: (body: KernelEventBody) => void,
  ) {
    mkdirSync(directory, { recursive: true });
  }

  path(pid: number): string {
    return join(this.directory, `pid-${pid}.kv`);
  }

  has(pid: number): boolean {
    return existsSync(this.path(pid));
  }

  async capture(slot: LlmSlot, meta: SnapshotMeta): Promise<KvStateHeader | null> {
    const started = performance.now();
    try {
      const header = await saveKvState(slot, this.path(meta.pid), this.identity, meta);
      this.emit({ type: 'proc.snapshot', pid: meta.pid, ok: true, bytes: header.stateBytes, tokens: header.tokenCount, durationMs: performance.now() - started });
      return header;
    } catch (error) {
      this.emit({ type: 'proc.snapshot', pid: meta.pid, ok: false, bytes: 0, tokens: 0, durationMs: performance.now() - started, error: toErrorPayload(error).message });
      return null;
    }
  }

  /** The checked snapshot, or the reason it cannot be used here. */
  async read(pid: number): Promise<Snapshot | string> {
    const path = this.path(pid);
    if (!existsSync(path)) return `process ${pid} has no snapshot`;
    try {
      const { header } = await readKvState(path);
      const problem = kvCompatibility(header, this.identity);
      if (problem) return `snapshot of process ${pid} refused: ${problem}`;
      const meta = SnapshotMeta.safeParse(header.meta);
      if (!meta.success) return `snapshot of process ${pid} has no usable metadata`;
      return { path, header, meta: meta.data };
    } catch (error) {
      return toErrorPayload(error).message;
    }
  }

  async remove(pid: number): Promise<void> {
    await rm(this.path(pid), { force: true });
  }
}
