/**
 * Builds GGUF headers byte by byte for the hostile tests: a small valid model, and headers whose
 * counts and lengths lie (a writer that trusts nothing it is given writes whatever it is told).
 */
export class GgufBytes {
  private readonly parts: Buffer[] = [];

  get size(): number {
    return this.parts.reduce((total, part) => total + part.length, 0);
  }

  raw(bytes: Buffer | string): this {
    this.parts.push(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
    return this;
  }

  u32(value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    return this.raw(bytes);
  }

  u64(value: number | bigint): this {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(BigInt(value));
    return this.raw(bytes);
  }

  string(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    return this.u64(bytes.length).raw(bytes);
  }

  /** The magic, the version and the two counts, which need not be true. */
  start(tensors: number | bigint, keys: number | bigint, version = 3): this {
    return this.raw('GGUF').u32(version).u64(tensors).u64(keys);
  }

  stringEntry(key: string, value: string): this {
    return this.string(key).u32(GGUF_TYPE.STRING).string(value);
  }

  u32Entry(key: string, value: number): this {
    return this.string(key).u32(GGUF_TYPE.UINT32).u32(value);
  }

  /** A tensor info: name, dimensions, GGML type (0 = F32) and data offset. */
  tensor(name: string, dims: (number | bigint)[], type = 0, offset: number | bigint = 0): this {
    this.string(name).u32(dims.length);
    for (const dim of dims) this.u64(dim);
    return this.u32(type).u64(offset);
  }

  padTo(alignment = 32): this {
    const padding = (alignment - (this.size % alignment)) % alignment;
    return this.raw(Buffer.alloc(padding));
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export const GGUF_TYPE = { UINT8: 0, UINT32: 4, FLOAT32: 6, STRING: 8, ARRAY: 9, UINT64: 10 } as const;

/**
 * A small but whole GGUF: architecture, name, file type, a string array (a tokenizer's shape), a
 * u32 array, and two F32 tensors with their data. llama.cpp would not run it; the header is valid.
 */
export function smallValidGguf(): Buffer {
  const gguf = new GgufBytes()
    .start(2, 5)
    .stringEntry('general.architecture', 'llama')
    .stringEntry('general.name', 'hostile-test')
    .u32Entry('general.file_type', 0)
    .string('tokenizer.ggml.tokens')
    .u32(GGUF_TYPE.ARRAY)
    .u32(GGUF_TYPE.STRING)
    .u64(3)
    .string('<s>')
    .string('</s>')
    .string('a')
    .string('tokenizer.ggml.token_type')
    .u32(GGUF_TYPE.ARRAY)
    .u32(GGUF_TYPE.UINT32)
    .u64(3)
    .u32(1)
    .u32(1)
    .u32(1)
    .tensor('output_norm.weight', [4], 0, 0)
    .tensor('token_embd.weight', [4, 3], 0, 32)
    .padTo();
  // Tensor data: 16 bytes at 0 (padded to 32), then 48 bytes at 32.
  return Buffer.concat([gguf.bytes(), Buffer.alloc(32 + 48, 0)]);
}

/** Hostile headers by what is wrong, each with a little room after it so that only the lie is wrong. */
export function hostileGgufHeaders(): Record<string, Buffer> {
  const room = Buffer.alloc(4096);
  return {
    '2^50 tensors': new GgufBytes().start(2n ** 50n, 0).raw(room).bytes(),
    '2^64-1 metadata keys': new GgufBytes().start(0, 2n ** 64n - 1n).raw(room).bytes(),
    'more tensors than the file can hold': new GgufBytes().start(100_000, 0).raw(room).bytes(),
    'a key of 2^62 bytes': new GgufBytes().start(0, 1).u64(2n ** 62n).raw(room).bytes(),
    'a string value of 2^40 bytes': new GgufBytes().start(0, 1).string('general.name').u32(GGUF_TYPE.STRING).u64(2n ** 40n).raw(room).bytes(),
    'an array of 2^60 items': new GgufBytes().start(0, 1).string('tokenizer.ggml.scores').u32(GGUF_TYPE.ARRAY).u32(GGUF_TYPE.FLOAT32).u64(2n ** 60n).raw(room).bytes(),
    'arrays nested three deep': new GgufBytes().start(0, 1).string('deep').u32(GGUF_TYPE.ARRAY).u32(GGUF_TYPE.ARRAY).u64(1).u32(GGUF_TYPE.ARRAY).u64(1).u32(GGUF_TYPE.ARRAY).u64(1).raw(room).bytes(),
    'an unknown value type': new GgufBytes().start(0, 1).string('odd').u32(99).raw(room).bytes(),
    'a tensor of 2^31 dimensions': new GgufBytes().start(1, 0).string('t').u32(2 ** 31).raw(room).bytes(),
    'a tensor offset off the alignment': new GgufBytes().start(1, 0).tensor('t', [4], 0, 3).raw(room).bytes(),
    'a tensor name of 1 MiB': new GgufBytes().start(1, 0).string('t'.repeat(1024 * 1024)).raw(room).bytes(),
  };
}
