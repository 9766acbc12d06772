/**
 * Writes a tiny llama GGUF for tests that need what stories260K cannot give: a head dimension
 * that is a multiple of llama.cpp's 32-wide quant block, so q8_0 / q4_0 KV caches can be used.
 * It keeps stories260K's tokenizer (all its metadata but the shape) and fills the weights with
 * seeded random values: real llama.cpp runs it; what it writes is noise.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

type Value = { type: number; value: unknown };
interface Tensor {
  name: string;
  dims: number[];
}

const ALIGNMENT = 32;
const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;
const SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

class Reader {
  offset = 0;
  constructor(private readonly buffer: Buffer) {}
  u32(): number {
    const value = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }
  u64(): number {
    const value = Number(this.buffer.readBigUInt64LE(this.offset));
    this.offset += 8;
    return value;
  }
  string(): string {
    const length = this.u64();
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  scalar(type: number): unknown {
    if (type === T.STRING) return this.string();
    const size = SIZES[type];
    if (size === undefined) throw new Error(`unknown GGUF value type ${type}`);
    const raw = this.buffer.subarray(this.offset, this.offset + size);
    this.offset += size;
    return Buffer.from(raw);
  }
  value(type: number): unknown {
    if (type !== T.ARRAY) return this.scalar(type);
    const itemType = this.u32();
    const count = this.u64();
    const items = Array.from({ length: count }, () => this.scalar(itemType));
    return { itemType, items };
  }
}

class Writer {
  private readonly parts: Buffer[] = [];
  size = 0;
  push(buffer: Buffer): void {
    this.parts.push(buffer);
    this.size += buffer.length;
  }
  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.push(b);
  }
  u64(value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.push(b);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  scalar(type: number, value: unknown): void {
    if (type === T.STRING) this.string(value as string);
    else this.push(value as Buffer);
  }
  value(type: number, value: unknown): void {
    if (type !== T.ARRAY) return this.scalar(type, value);
    const array = value as { itemType: number; items: unknown[] };
    this.u32(array.itemType);
    this.u64(array.items.length);
    for (const item of array.items) this.scalar(array.itemType, item);
  }
  pad(): void {
    const padding = (ALIGNMENT - (this.size % ALIGNMENT)) % ALIGNMENT;
    if (padding) this.push(Buffer.alloc(padding));
  }
  result(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function u32Value(value: number): Value {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return { type: T.U32, value: b };
}

/** A small, fast, seeded PRNG (mulberry32) with a Box-Muller normal. */
function normal(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

export interface TinyLlamaShape {
  headDim: number;
  heads: number;
  kvHeads: number;
  layers: number;
  feedForward: number;
  seed: number;
}

export const HEAD_DIM_32: TinyLlamaShape = { headDim: 32, heads: 4, kvHeads: 2, layers: 2, feedForward: 256, seed: 7 };

export function writeTinyLlama(source: string, target: string, shape: TinyLlamaShape = HEAD_DIM_32): string {
  const bytes = readFileSync(source);
  if (bytes.toString('ascii', 0, 4) !== 'GGUF') throw new Error(`${source} is not GGUF`);
  const reader = new Reader(bytes);
  reader.offset = 4;
  const version = reader.u32();
  const tensorCount = reader.u64();
  const kvCount = reader.u64();
  const metadata = new Map<string, Value>();
  for (let i = 0; i < kvCount; i++) {
    const key = reader.string();
    const type = reader.u32();
    metadata.set(key, { type, value: reader.value(type) });
  }
  const vocab = ((metadata.get('tokenizer.ggml.tokens')!.value as { items: unknown[] }).items).length;
  for (let i = 0; i < tensorCount; i++) {
    reader.string();
    const dims = reader.u32();
    for (let d = 0; d < dims; d++) reader.u64();
    reader.u32();
    reader.u64();
  }

  const embed = shape.headDim * shape.heads;
  const kvEmbed = shape.headDim * shape.kvHeads;
  metadata.set('general.name', { type: T.STRING, value: `amk-tiny-hd${shape.headDim}` });
  metadata.set('llama.embedding_length', u32Value(embed));
  metadata.set('llama.feed_forward_length', u32Value(shape.feedForward));
  metadata.set('llama.attention.head_count', u32Value(shape.heads));
  metadata.set('llama.attention.head_count_kv', u32Value(shape.kvHeads));
  metadata.set('llama.block_count', u32Value(shape.layers));
  metadata.set('llama.rope.dimension_count', u32Value(shape.headDim));

  const tensors: Tensor[] = [
    { name: 'token_embd.weight', dims: [embed, vocab] },
    { name: 'output_norm.weight', dims: [embed] },
    { name: 'output.weight', dims: [embed, vocab] },
  ];
  for (let layer = 0; layer < shape.layers; layer++) {
    tensors.push(
      { name: `blk.${layer}.attn_q.weight`, dims: [embed, embed] },
      { name: `blk.${layer}.attn_k.weight`, dims: [embed, kvEmbed] },
      { name: `blk.${layer}.attn_v.weight`, dims: [embed, kvEmbed] },
      { name: `blk.${layer}.attn_output.weight`, dims: [embed, embed] },
      { name: `blk.${layer}.attn_norm.weight`, dims: [embed] },
      { name: `blk.${layer}.ffn_gate.weight`, dims: [embed, shape.feedForward] },
      { name: `blk.${layer}.ffn_down.weight`, dims: [shape.feedForward, embed] },
      { name: `blk.${layer}.ffn_up.weight`, dims: [embed, shape.feedForward] },
      { name: `blk.${layer}.ffn_norm.weight`, dims: [embed] },
    );
  }

  const writer = new Writer();
  writer.push(Buffer.from('GGUF', 'ascii'));
  writer.u32(version);
  writer.u64(tensors.length);
  writer.u64(metadata.size);
  for (const [key, { type, value }] of metadata) {
    writer.string(key);
    writer.u32(type);
    writer.value(type, value);
  }
  const random = normal(shape.seed);
  const data: Buffer[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    writer.string(tensor.name);
    writer.u32(tensor.dims.length);
    for (const dim of tensor.dims) writer.u64(dim);
    writer.u32(0); // F32
    writer.u64(offset);
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    const isNorm = tensor.dims.length === 1;
    for (let i = 0; i < count; i++) values[i] = isNorm ? 1 : random() * 0.05;
    const bytes = Buffer.from(values.buffer);
    const padded = Buffer.alloc(Math.ceil(bytes.length / ALIGNMENT) * ALIGNMENT);
    bytes.copy(padded);
    data.push(padded);
    offset += padded.length;
  }
  writer.pad();
  for (const chunk of data) writer.push(chunk);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, writer.result());
  return target;
}

/** The tiny head-dim-32 model, generated once from the shared stories260K tokenizer. */
export function ensureTinyLlama(source: string, target: string): string {
  if (!existsSync(target)) writeTinyLlama(source, target);
  return target;
}
