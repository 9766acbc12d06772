import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { GgmlType, GgufFileType, readGgufFileInfo, type GgufTensorInfo } from 'node-llama-cpp';
import { KernelError } from '../core/kernel-error.js';

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

/** [elements per block, bytes per block] of the GGML types models are stored in (ggml.c's type traits). */
const GGML_BLOCKS: Partial<Record<GgmlType, [number, number]>> = {
  [GgmlType.F32]: [1, 4],
  [GgmlType.F16]: [1, 2],
  [GgmlType.Q4_0]: [32, 18],
  [GgmlType.Q4_1]: [32, 20],
  [GgmlType.Q5_0]: [32, 22],
  [GgmlType.Q5_1]: [32, 24],
  [GgmlType.Q8_0]: [32, 34],
  [GgmlType.Q8_1]: [32, 36],
  [GgmlType.Q2_K]: [256, 84],
  [GgmlType.Q3_K]: [256, 110],
  [GgmlType.Q4_K]: [256, 144],
  [GgmlType.Q5_K]: [256, 176],
  [GgmlType.Q6_K]: [256, 210],
  [GgmlType.Q8_K]: [256, 292],
  [GgmlType.IQ4_NL]: [32, 18],
  [GgmlType.I8]: [1, 1],
  [GgmlType.I16]: [1, 2],
  [GgmlType.I32]: [1, 4],
  [GgmlType.I64]: [1, 8],
  [GgmlType.F64]: [1, 8],
  [GgmlType.BF16]: [1, 2],
};

/** Where a tensor's data ends in the file; for a type not listed, just past its start. */
function tensorEnd(tensor: GgufTensorInfo): number {
  const start = Number(tensor.fileOffset);
  const block = GGML_BLOCKS[tensor.ggmlType];
  if (!block) return start + 1;
  const elements = tensor.dimensions.reduce<number>((product, dimension) => product * Number(dimension), 1);
  return start + Math.ceil(elements / block[0]) * block[1];
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
  let info;
  try {
    info = await readGgufFileInfo(facts.path, { sourceType: 'filesystem', logWarnings: false, ignoreKeys: ['tokenizer.ggml.tokens', 'tokenizer.ggml.merges', 'tokenizer.ggml.token_type', 'tokenizer.ggml.scores'] });
  } catch (error) {
    throw new KernelError('MODEL_INVALID', `${facts.path} is damaged: its GGUF header cannot be read (${(error as Error).message})`, { path: facts.path });
  }
  const tensorsEnd = Math.max(0, ...(info.tensorInfo ?? []).map(tensorEnd));
  if (tensorsEnd > facts.sizeBytes) {
    throw new KernelError('MODEL_INVALID', `${facts.path} is cut off: its tensors reach byte ${tensorsEnd} but the file has ${facts.sizeBytes} bytes (an incomplete download or copy?)`, { path: facts.path });
  }
  const fileType = info.metadata.general.file_type;
  return {
    ...facts,
    architecture: String(info.metadata.general.architecture),
    displayName: info.metadata.general.name ?? null,
    quantization: fileType === undefined ? null : (GgufFileType[fileType]?.replace(/^(MOSTLY|ALL)_/, '') ?? null),
  };
}
