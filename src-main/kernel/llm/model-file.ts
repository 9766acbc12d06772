import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { GgufFileType } from 'node-llama-cpp';
import { KernelError } from '../core/kernel-error.js';
import { fileSource, parseGgufHeader } from './gguf-header.js';

const GGUF_MAGIC = Buffer.from('GGUF', 'ascii');

export interface ModelFileFacts {
  path: string;
  name: string;
  sizeBytes: number;
  mtimeMs: number;
}

/** Checks that a path is a readable GGUF file before llama.cpp is asked to load it. */
export async function inspectModelFile(path: string): Promise<ModelFileFacts> {
  const absolute = resolve(path);
  let facts;
  try {
    facts = await stat(absolute);
  } catch {
    throw new KernelError('MODEL_NOT_FOUND', `model file not found: ${absolute}`, { path: absolute });
  }
  if (!facts.isFile()) throw new KernelError('MODEL_INVALID', `model path is not a file: ${absolute}`, { path: absolute });
  const handle = await open(absolute, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead < 4 || !head.equals(GGUF_MAGIC)) {
      throw new KernelError('MODEL_INVALID', `not a GGUF model (the file does not start with "GGUF"): ${absolute}`, {
        path: absolute,
      });
    }
  } finally {
    await handle.close();
  }
  return { path: absolute, name: basename(absolute), sizeBytes: facts.size, mtimeMs: facts.mtimeMs };
}

/** sha256 of a model file, cached by path, size and mtime so a multi-GB file is read once. */
export async function modelSha256(facts: ModelFileFacts, cacheDir?: string): Promise<string> {
  const cachePath = cacheDir ? join(cacheDir, 'model-hashes.json') : undefined;
  const key = `${facts.path}|${facts.sizeBytes}|${facts.mtimeMs}`;
  let cache: Record<string, string> = {};
  if (cachePath) {
    try {
      cache = JSON.parse(await readFile(cachePath, 'utf8')) as Record<string, string>;
    } catch {
      cache = {};
    }
    const known = cache[key];
    if (known) return known;
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(facts.path)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  if (cachePath && cacheDir) {
    cache[key] = digest;
    await mkdir(cacheDir, { recursive: true });
    await writeFile(cachePath, JSON.stringify(cache, null, 2));
  }
  return digest;
}

export interface ModelFileDescription extends ModelFileFacts {
  architecture: string;
  /** The model's own name from its metadata, when it has one. */
  displayName: string | null;
  /** The file's quantization (Q4_K_M, F16, ...), when the metadata says. */
  quantization: string | null;
}

/**
 * Reads a GGUF's header without loading its weights, so an import refuses a damaged or cut-off
 * file with a reason instead of failing later inside llama.cpp.
 */
export async function describeModelFile(path: string): Promise<ModelFileDescription> {
  const facts = await inspectModelFile(path);
  let header;
  const handle = await open(facts.path, 'r');
  try {
    // Bounded reads of the header only: the weights are never read here.
    header = await parseGgufHeader(fileSource(handle, facts.sizeBytes));
  } catch (error) {
    if (!(error instanceof KernelError)) throw new KernelError('MODEL_INVALID', `${facts.path} is damaged: its GGUF header cannot be read (${(error as Error).message})`, { path: facts.path });
    const cut = /^its GGUF header is cut off: /;
    const reason = cut.test(error.message) ? `cut off: ${error.message.replace(cut, '')}, in its GGUF header` : `damaged: ${error.message}`;
    throw new KernelError('MODEL_INVALID', `${facts.path} is ${reason}`, { path: facts.path, ...(error.data as object) });
  } finally {
    await handle.close();
  }
  if (header.tensorDataEnd > BigInt(facts.sizeBytes)) {
    throw new KernelError('MODEL_INVALID', `${facts.path} is cut off: its tensors reach byte ${header.tensorDataEnd} but the file has ${facts.sizeBytes} bytes (an incomplete download or copy?)`, { path: facts.path });
  }
  if (header.architecture === null) throw new KernelError('MODEL_INVALID', `${facts.path} is damaged: its GGUF header has no general.architecture`, { path: facts.path });
  const fileType = header.fileType;
  return {
    ...facts,
    architecture: header.architecture,
    displayName: header.name,
    quantization: fileType === null ? null : ((GgufFileType[fileType] as string | undefined)?.replace(/^(MOSTLY|ALL)_/, '') ?? null),
  };
}
