import { webcrypto } from 'node:crypto';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { KvType } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import type { LlmSlot } from './llm-backend.js';

const MAGIC = Buffer.from('AMKKV1\n', 'ascii');

export const KvStateHeader = z.object({
  version: z.literal(1),
  /** The model the state belongs to: loading it into another model would be garbage (or a crash). */
  modelSha256: z.string(),
  kvType: KvType,
  contextSize: z.number().int().positive(),
  /** Sequences of the context it came from: llama.cpp loads state only into a context with as many. */
  sequences: z.number().int().positive(),
  tokenCount: z.number().int().nonnegative(),
  stateBytes: z.number().int().nonnegative(),
  stateSha256: z.string(),
  createdAt: z.number(),
  /** What the owner keeps beside the state: the PCB, the exact tokens, the steps. */
  meta: z.unknown(),
});
export type KvStateHeader = z.infer<typeof KvStateHeader>;

export interface KvIdentity {
  modelSha256: string;
  kvType: KvType;
  contextSize: number;
  sequences: number;
}

export interface SaveKvOptions {
  /**
   * Synced to the disk before the rename (the default): a snapshot must survive a power loss.
   * A swap file need not: it never outlives the kernel process, and a restart re-prefills.
   */
  durable?: boolean;
}

/**
 * sha256 on the thread pool (WebCrypto), not the event loop: a KV state is megabytes (23 KB per
 * token for a 135M model), and hashing it inline stalled every other slot's tokens for tens of ms.
 */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

/**
 * A slot's KV state on disk: a header (model hash, KV type, token count, checksum, the owner's
 * metadata) followed by llama.cpp's sequence state. Written to a temporary file, synced (when
 * durable), then renamed, so a crash leaves the old file or the new one, never half of one.
 * Nothing here blocks the event loop: writes, sync and hashing run on the thread pool.
 */
export async function saveKvState(slot: LlmSlot, path: string, identity: KvIdentity, meta: unknown, options: SaveKvOptions = {}): Promise<KvStateHeader> {
  const blobPath = `${path}.blob-${process.pid}`;
  try {
    await slot.saveState(blobPath);
    const blob = await readFile(blobPath);
    const header: KvStateHeader = {
      version: 1,
      ...identity,
      tokenCount: slot.cachedTokens,
      stateBytes: blob.length,
      stateSha256: await sha256Hex(blob),
      createdAt: Date.now(),
      meta,
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(headerBytes.length);
    const temporary = `${path}.tmp-${process.pid}`;
    const file = await open(temporary, 'w', 0o600);
    try {
      const parts = [MAGIC, length, headerBytes, blob];
      const { bytesWritten } = await file.writev(parts);
      const total = parts.reduce((sum, part) => sum + part.length, 0);
      if (bytesWritten !== total) throw new KernelError('KV_STATE_INVALID', `${path}: wrote ${bytesWritten} of ${total} bytes (disk full?)`);
      if (options.durable !== false) await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    return header;
  } finally {
    await rm(blobPath, { force: true });
  }
}

/** Reads and checks a state file without touching any slot. */
export async function readKvState(path: string): Promise<{ header: KvStateHeader; blob: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new KernelError('KV_STATE_INVALID', `KV state file ${path} cannot be read`);
  }
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new KernelError('KV_STATE_INVALID', `${path} is not a KV state file (bad magic)`);
  }
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  let header: KvStateHeader;
  try {
    header = KvStateHeader.parse(JSON.parse(bytes.toString('utf8', start, start + headerLength)));
  } catch {
    throw new KernelError('KV_STATE_INVALID', `${path} has a damaged header`);
  }
  const blob = bytes.subarray(start + headerLength);
  if (blob.length !== header.stateBytes) {
    throw new KernelError('KV_STATE_INVALID', `${path} is truncated: ${blob.length} of ${header.stateBytes} state bytes`);
  }
  if ((await sha256Hex(blob)) !== header.stateSha256) {
    throw new KernelError('KV_STATE_INVALID', `${path} is corrupt: its checksum does not match`);
  }
  return { header, blob };
}

/** Why a state cannot go into this context, or null when it can. */
export function kvCompatibility(header: Pick<KvStateHeader, 'modelSha256' | 'kvType' | 'tokenCount' | 'sequences'>, identity: KvIdentity): string | null {
  if (header.modelSha256 !== identity.modelSha256) return 'it was made by a different model file';
  if (header.kvType !== identity.kvType) return `its KV type is ${header.kvType}, the context's is ${identity.kvType}`;
  if (header.sequences !== identity.sequences) return `it comes from a context with ${header.sequences} sequence slots, this one has ${identity.sequences}`;
  if (header.tokenCount > identity.contextSize) return `its ${header.tokenCount} tokens do not fit the ${identity.contextSize}-token context`;
  return null;
}

/** Loads a checked state file into a slot; refuses (with the reason) anything that does not belong there. */
export async function loadKvState(slot: LlmSlot, path: string, identity: KvIdentity): Promise<KvStateHeader> {
  const { header, blob } = await readKvState(path);
  const problem = kvCompatibility(header, identity);
  if (problem) throw new KernelError('KV_STATE_INVALID', `KV state ${path} refused: ${problem}`);
  const blobPath = `${path}.load-${process.pid}`;
  try {
    await writeFile(blobPath, blob);
    await slot.loadState(blobPath);
  } finally {
    await rm(blobPath, { force: true });
  }
  return header;
}
