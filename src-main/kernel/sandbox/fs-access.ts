import { constants } from 'node:fs';
import { lstat, open, opendir, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KernelError } from '../core/kernel-error.js';
import { checkPathShape } from './capability-check.js';

/**
 * File access for plugins, resolved and opened in one step: the kernel opens first and then checks
 * the real path of what it holds (never a path string it opens again), so a folder swapped for a
 * symlink between the check and the use cannot lead outside a grant. `permit` says whether a real
 * path may be touched (null) or why not (the message of the refusal).
 */
export type Permit = (mode: 'read' | 'write', realPath: string) => string | null;

/** On Linux, `/proc/self/fd/N` names what a descriptor holds; `/proc/self/fd/N/name` opens inside it (openat). */
const PROC_FD = '/proc/self/fd';

interface Held {
  real: string;
  /** A path that reaches the very object held: through /proc on Linux, else its real path. */
  through: string;
}

async function held(handle: FileHandle, openedAs: string): Promise<Held> {
  try {
    const real = await readlink(`${PROC_FD}/${handle.fd}`);
    return { real, through: `${PROC_FD}/${handle.fd}` };
  } catch {
    // No /proc (macOS): the real path of the name counts only if it is the very file held.
    const real = await realpath(openedAs);
    const [mine, named] = await Promise.all([handle.stat(), stat(real)]);
    if (mine.dev !== named.dev || mine.ino !== named.ino) throw new KernelError('CAPABILITY_DENIED', `${openedAs} changed while it was being opened`);
    return { real, through: real };
  }
}

function explain(error: unknown, path: string): KernelError {
  if (error instanceof KernelError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new KernelError('TOOL_FAILED', `${path} does not exist`);
  if (code === 'ELOOP') return new KernelError('CAPABILITY_DENIED', `${path} is a symbolic link: refused, files are opened without following links`);
  if (code === 'ENOTDIR') return new KernelError('TOOL_FAILED', `${path} is not a folder`);
  if (code === 'EISDIR') return new KernelError('TOOL_FAILED', `${path} is a folder`);
  if (code === 'EACCES' || code === 'EPERM') return new KernelError('TOOL_FAILED', `${path}: permission denied`);
  return new KernelError('TOOL_FAILED', `${path}: ${(error as Error).message}`);
}

function refuse(permit: Permit, mode: 'read' | 'write', real: string): void {
  const refusal = permit(mode, real);
  if (refusal) throw new KernelError('CAPABILITY_DENIED', refusal);
}

/** Reads at most `cap` bytes of a file (and one more to know it was cut), whatever the file's size. */
export async function readFileCapped(path: unknown, cap: number, permit: Permit): Promise<{ content: string; bytes: number; truncated: boolean }> {
  const absolute = checkPathShape(path);
  let handle: FileHandle | undefined;
  try {
    // O_NONBLOCK: opening a FIFO must not hang the call; it is refused below as not a file.
    handle = await open(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
    const { real } = await held(handle, absolute);
    refuse(permit, 'read', real);
    const facts = await handle.stat();
    if (!facts.isFile()) throw new KernelError('TOOL_FAILED', `${real} is not a file`);
    const buffer = Buffer.alloc(cap + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { content: buffer.subarray(0, Math.min(filled, cap)).toString('utf8'), bytes: facts.size, truncated: filled > cap };
  } catch (error) {
    throw explain(error, absolute);
  } finally {
    await handle?.close();
  }
}

/**
 * Writes (or appends) a file: its folder is opened and checked, then the name is opened inside
 * that very folder with O_NOFOLLOW, so neither a swapped folder nor a symlink (dangling or not)
 * at the name can send the write elsewhere.
 */
export async function writeFileContained(path: unknown, content: string, append: boolean, permit: Permit): Promise<number> {
  const absolute = checkPathShape(path);
  const name = basename(absolute);
  if (name === '') throw new KernelError('INVALID_TOOL_ARGS', `${absolute} names no file`);
  let folder: FileHandle | undefined;
  let file: FileHandle | undefined;
  try {
    folder = await open(dirname(absolute), constants.O_RDONLY | constants.O_DIRECTORY);
    const parent = await held(folder, dirname(absolute));
    const target = join(parent.real, name);
    refuse(permit, 'write', target);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | (append ? constants.O_APPEND : constants.O_TRUNC);
    file = await open(join(parent.through, name), flags, 0o666);
    const facts = await file.stat();
    if (!facts.isFile()) throw new KernelError('TOOL_FAILED', `${target} is not a file`);
    refuse(permit, 'write', (await held(file, target)).real);
    await file.writeFile(content);
    return Buffer.byteLength(content);
  } catch (error) {
    throw explain(error, absolute);
  } finally {
    await file?.close();
    await folder?.close();
  }
}

const MAX_ENTRIES = 1000;

/** Lists a folder (the first 1000 entries, read lazily) through the descriptor that was checked. */
export async function listFolder(path: unknown, permit: Permit): Promise<{ entries: { name: string; kind: string; size: number }[]; truncated: boolean }> {
  const absolute = checkPathShape(path);
  let folder: FileHandle | undefined;
  try {
    folder = await open(absolute, constants.O_RDONLY | constants.O_DIRECTORY);
    const { real, through } = await held(folder, absolute);
    refuse(permit, 'read', real);
    const entries: { name: string; kind: string; size: number }[] = [];
    let truncated = false;
    const listing = await opendir(through);
    for await (const entry of listing) {
      if (entries.length === MAX_ENTRIES) {
        truncated = true;
        break;
      }
      const kind = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'link' : 'other';
      const size = kind === 'file' ? ((await lstat(join(through, entry.name)).catch(() => null))?.size ?? 0) : 0;
      entries.push({ name: entry.name, kind, size });
    }
    return { entries, truncated };
  } catch (error) {
    throw explain(error, absolute);
  } finally {
    await folder?.close();
  }
}
