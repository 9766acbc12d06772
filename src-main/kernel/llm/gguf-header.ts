import type { FileHandle } from 'node:fs/promises';
import { GgmlType } from 'node-llama-cpp';
import { KernelError } from '../core/kernel-error.js';

/**
 * Bounds on a GGUF header, checked before anything is allocated or looped over: a header comes
 * from outside (an upload, a download, a file the user picked), and its counts are 64-bit. Every
 * real model fits well inside them (a 262k-token vocabulary with its merges is a few tens of MB of
 * header and a few thousand tensors); llama.cpp itself refuses more than 4 dimensions.
 */
export const GGUF_LIMITS = {
  /** Bytes from the start of the file to the end of the tensor infos. */
  headerBytes: 64 * 1024 * 1024,
  tensors: 2 ** 20,
  metadataKeys: 2 ** 16,
  /** The GGUF spec caps keys at 2^16 - 1 bytes. */
  keyBytes: 65_535,
  /** A chat template is the longest string real models carry: tens of KB. */
  stringBytes: 16 * 1024 * 1024,
  arrayLength: 2 ** 24,
  /** An array of arrays is 2; llama.cpp reads no deeper. */
  arrayDepth: 2,
  tensorNameBytes: 256,
  /** GGML_MAX_DIMS. */
  dimensions: 4,
} as const;

/** What the header says that the kernel uses; tensor names and the tokenizer are skipped, never kept. */
export interface GgufHeader {
  version: number;
  tensorCount: number;
  metadataCount: number;
  architecture: string | null;
  name: string | null;
  fileType: number | null;
  alignment: number;
  /** Where the tensor infos end. */
  headerBytes: number;
  /** Where the tensor data starts (the header's end, aligned). */
  dataOffset: number;
  /** One past the last byte any tensor's data reaches, from the start of the file. */
  tensorDataEnd: bigint;
}

/** Random access to the bytes being parsed: a file descriptor, or a buffer for tests and fuzzing. */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes at `position`; fewer only at the end of the source. */
  read(position: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: async (position, length) => bytes.subarray(position, position + length) };
}

export function fileSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(position, length) {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      return buffer.subarray(0, bytesRead);
    },
  };
}

const TYPE = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 } as const;
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
/** The fewest bytes a value of each type takes: what a claimed count is checked against. */
const minimumSize = (type: number): number => FIXED_SIZE[type] ?? (type === TYPE.STRING ? 8 : 12);
/** Name length, dimension count, type and offset, with no name and no dimension. */
const MIN_TENSOR_INFO = 8 + 4 + 4 + 8;
/** Key length, value type and a one-byte value. */
const MIN_METADATA_ENTRY = 8 + 4 + 1;
const CHUNK = 64 * 1024;

/** [elements per block, bytes per block] of the GGML types models are stored in (ggml.c's type traits). */
const GGML_BLOCKS: Partial<Record<number, [number, number]>> = {
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

function invalid(detail: string, offset: number): KernelError {
  return new KernelError('MODEL_INVALID', `its GGUF header ${detail}`, { offset });
}

/** Reads forward through the source in bounded chunks; never past the header limit or the end. */
class HeaderReader {
  position = 0;
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(private readonly source: ByteSource) {}

  /** Bytes left before the end of the file or the header limit, whichever comes first. */
  get remaining(): number {
    return Math.min(this.source.size, GGUF_LIMITS.headerBytes) - this.position;
  }

  private need(length: number, what: string): void {
    if (this.position + length <= this.source.size && this.position + length <= GGUF_LIMITS.headerBytes) return;
    if (this.position + length > this.source.size) {
      throw invalid(`is cut off: the file ends at byte ${this.source.size}, inside ${what}`, this.position);
    }
    throw invalid(`runs past the ${GGUF_LIMITS.headerBytes / 1024 / 1024} MiB limit (at ${what})`, this.position);
  }

  async bytes(length: number, what: string): Promise<Uint8Array> {
    this.need(length, what);
    const offset = this.position - this.windowStart;
    if (offset < 0 || offset + length > this.window.length) {
      // `length` is bounded by the limits and by what the file holds, so this read is too.
      this.window = await this.source.read(this.position, Math.max(length, CHUNK));
      this.windowStart = this.position;
      if (this.window.length < length) throw invalid(`could not be read at byte ${this.position} (the file changed while it was read?)`, this.position);
    }
    const start = this.position - this.windowStart;
    this.position += length;
    return this.window.subarray(start, start + length);
  }

  skip(length: number, what: string): void {
    this.need(length, what);
    this.position += length;
  }

  async u32(what: string): Promise<number> {
    const bytes = await this.bytes(4, what);
    return Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32LE(0);
  }

  async u64(what: string): Promise<bigint> {
    const bytes = await this.bytes(8, what);
    return Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0);
  }

  /** The next u64 when it is already in the window, without waiting; null when it must be read. */
  u64Now(what: string): bigint | null {
    this.need(8, what);
    const offset = this.position - this.windowStart;
    if (offset < 0 || offset + 8 > this.window.length) return null;
    this.position += 8;
    return Buffer.from(this.window.buffer, this.window.byteOffset + offset, 8).readBigUInt64LE(0);
  }

  /** A 64-bit count, refused before use when over its limit or when its items cannot fit in what is left. */
  async count(what: string, limit: number, minimumEach: number): Promise<number> {
    const at = this.position;
    return this.checkCount(this.u64Now(`the count of ${what}`) ?? (await this.u64(`the count of ${what}`)), what, limit, minimumEach, at);
  }

  checkCount(claimed: bigint, what: string, limit: number, minimumEach: number, at: number): number {
    if (claimed > BigInt(limit)) throw invalid(`claims ${claimed} ${what}, over the limit of ${limit}`, at);
    const count = Number(claimed);
    const inFile = this.source.size - this.position;
    if (count * minimumEach > inFile) throw invalid(`claims ${count} ${what}, which cannot fit in the ${inFile} bytes left in the file`, at);
    if (count * minimumEach > this.remaining) throw invalid(`claims ${count} ${what}, which would take it past the ${GGUF_LIMITS.headerBytes / 1024 / 1024} MiB limit`, at);
    return count;
  }

  /** A length-prefixed string; its bytes are decoded only when `keep`. */
  async string(what: string, limit: number, keep: boolean): Promise<string | null> {
    const length = await this.count(`bytes in ${what}`, limit, 1);
    if (!keep) {
      this.skip(length, what);
      return null;
    }
    return Buffer.from(await this.bytes(length, what)).toString('utf8');
  }
}

type Scalar = string | number | bigint | null;

/** Reads (when `keep`) or skips one metadata value, arrays included, depth-bounded. */
async function readValue(reader: HeaderReader, type: number, what: string, keep: boolean, depth = 0): Promise<Scalar> {
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined) {
    if (!keep) {
      reader.skip(fixed, what);
      return null;
    }
    const bytes = Buffer.from(await reader.bytes(fixed, what));
    if (type === TYPE.UINT32) return bytes.readUInt32LE(0);
    if (type === TYPE.UINT64) return bytes.readBigUInt64LE(0);
    return null;
  }
  if (type === TYPE.STRING) return reader.string(what, GGUF_LIMITS.stringBytes, keep);
  if (type !== TYPE.ARRAY) throw invalid(`gives ${what} the unknown value type ${type}`, reader.position - 4);
  if (depth >= GGUF_LIMITS.arrayDepth) throw invalid(`nests arrays deeper than ${GGUF_LIMITS.arrayDepth} in ${what}`, reader.position);
  const itemType = await reader.u32(`the item type of ${what}`);
  if (itemType > TYPE.FLOAT64) throw invalid(`gives the items of ${what} the unknown value type ${itemType}`, reader.position - 4);
  const length = await reader.count(`items in ${what}`, GGUF_LIMITS.arrayLength, minimumSize(itemType));
  const itemSize = FIXED_SIZE[itemType];
  if (itemSize !== undefined) reader.skip(length * itemSize, what);
  else if (itemType === TYPE.STRING) {
    // A vocabulary is hundreds of thousands of strings: skipped without a wait per string.
    const item = `a string in ${what}`;
    for (let index = 0; index < length; index++) {
      const at = reader.position;
      const claimed = reader.u64Now(item) ?? (await reader.u64(item));
      reader.skip(reader.checkCount(claimed, `bytes in ${item}`, GGUF_LIMITS.stringBytes, 1, at), item);
    }
  } else for (let index = 0; index < length; index++) await readValue(reader, itemType, `an item of ${what}`, false, depth + 1);
  return null;
}

const KEPT_KEYS = new Set(['general.architecture', 'general.name', 'general.file_type', 'general.alignment']);

/**
 * Parses a GGUF header (v2 or v3, little-endian) within GGUF_LIMITS: bounded reads, bounded
 * memory, bounded time. Throws a MODEL_INVALID KernelError naming what is wrong and where.
 */
export async function parseGgufHeader(source: ByteSource): Promise<GgufHeader> {
  const reader = new HeaderReader(source);
  const magic = Buffer.from(await reader.bytes(4, 'the magic number')).toString('latin1');
  if (magic !== 'GGUF') throw invalid('is missing: the file does not start with "GGUF"', 0);
  const version = await reader.u32('the version');
  if (version !== 2 && version !== 3) throw invalid(`has version ${version}; only versions 2 and 3 (little-endian) are read`, 4);
  const tensorCount = await reader.count('tensors', GGUF_LIMITS.tensors, MIN_TENSOR_INFO);
  const metadataCount = await reader.count('metadata keys', GGUF_LIMITS.metadataKeys, MIN_METADATA_ENTRY);
  const kept = new Map<string, Scalar>();
  for (let index = 0; index < metadataCount; index++) {
    const what = `metadata key ${index + 1} of ${metadataCount}`;
    const key = (await reader.string(what, GGUF_LIMITS.keyBytes, true))!;
    const type = await reader.u32(`the value type of ${what}`);
    const value = await readValue(reader, type, `"${key.slice(0, 80)}"`, KEPT_KEYS.has(key));
    if (KEPT_KEYS.has(key)) kept.set(key, value);
  }
  if (tensorCount * MIN_TENSOR_INFO > reader.remaining) {
    throw invalid(`claims ${tensorCount} tensors, which cannot fit in the ${reader.remaining} bytes left after its metadata`, reader.position);
  }
  const alignment = kept.get('general.alignment') ?? 32;
  if (typeof alignment !== 'number' || alignment === 0 || (alignment & (alignment - 1)) !== 0) {
    throw invalid(`gives general.alignment ${String(alignment)}, not a power of two`, reader.position);
  }
  let tensorDataEnd = 0n;
  for (let index = 0; index < tensorCount; index++) {
    const what = `tensor ${index + 1} of ${tensorCount}`;
    await reader.string(`the name of ${what}`, GGUF_LIMITS.tensorNameBytes, false);
    const dimensions = await reader.u32(`the dimension count of ${what}`);
    if (dimensions > GGUF_LIMITS.dimensions) throw invalid(`gives ${what} ${dimensions} dimensions, over the limit of ${GGUF_LIMITS.dimensions}`, reader.position - 4);
    let elements = 1n;
    for (let d = 0; d < dimensions; d++) elements *= await reader.u64(`a dimension of ${what}`);
    const ggmlType = await reader.u32(`the type of ${what}`);
    const at = reader.position;
    const offset = await reader.u64(`the data offset of ${what}`);
    if (offset % BigInt(alignment) !== 0n) throw invalid(`gives ${what} the data offset ${offset}, not a multiple of ${alignment}`, at);
    const block = GGML_BLOCKS[ggmlType];
    // A type not listed here is measured as one byte: its start must still be inside the file.
    const bytes = block ? ((elements + BigInt(block[0]) - 1n) / BigInt(block[0])) * BigInt(block[1]) : 1n;
    if (offset + bytes > tensorDataEnd) tensorDataEnd = offset + bytes;
  }
  const headerBytes = reader.position;
  const dataOffset = Math.ceil(headerBytes / alignment) * alignment;
  const text = (value: Scalar | undefined): string | null => (typeof value === 'string' ? value : null);
  const fileType = kept.get('general.file_type');
  return {
    version,
    tensorCount,
    metadataCount,
    architecture: text(kept.get('general.architecture')),
    name: text(kept.get('general.name')),
    fileType: typeof fileType === 'number' ? fileType : null,
    alignment,
    headerBytes,
    dataOffset,
    tensorDataEnd: tensorCount === 0 ? BigInt(dataOffset) : BigInt(dataOffset) + tensorDataEnd,
  };
}
