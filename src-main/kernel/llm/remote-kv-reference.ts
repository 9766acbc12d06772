import { open, readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { KernelError } from '../core/kernel-error.js';

/**
 * A llama-server core keeps a swapped or snapshotted slot's KV state on the server
 * (`/slots/{id}?action=save`, under its `--slot-save-path`). The kernel's state file then holds
 * this small reference instead of llama.cpp state bytes: which core, which file there, and the
 * tokens it stands for. The magic keeps it from ever reaching llama.cpp's own state loader.
 */
const MAGIC = 'AMKREMOTEKV1\n';

export const RemoteKvReference = z
  .object({ core: z.string().max(64), filename: z.string().regex(/^amk-[a-f0-9]{16,64}\.bin$/), tokens: z.array(z.number().int().nonnegative()).max(1_000_000) })
  .strict();
export type RemoteKvReference = z.infer<typeof RemoteKvReference>;

export async function writeRemoteKvReference(path: string, reference: RemoteKvReference): Promise<number> {
  const bytes = Buffer.from(MAGIC + JSON.stringify(reference), 'utf8');
  await writeFile(path, bytes, { mode: 0o600 });
  return bytes.length;
}

export async function isRemoteKvReference(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, MAGIC.length, 0);
    return bytesRead === MAGIC.length && head.toString('utf8') === MAGIC;
  } finally {
    await handle.close();
  }
}

export async function readRemoteKvReference(path: string): Promise<RemoteKvReference> {
  const text = await readFile(path, 'utf8');
  if (!text.startsWith(MAGIC)) throw new KernelError('KV_STATE_INVALID', 'this KV state was made by the local model, not saved on a remote core');
  try {
    return RemoteKvReference.parse(JSON.parse(text.slice(MAGIC.length)));
  } catch {
    throw new KernelError('KV_STATE_INVALID', 'a remote KV state reference is damaged');
  }
}
