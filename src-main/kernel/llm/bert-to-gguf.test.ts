import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { afterEach, describe, expect, it } from 'vitest';
import { convertBertToGguf } from '../../../scripts/bert-to-gguf.mjs';
import { tempDir } from '../../test-support/fixtures.js';
import { bufferSource, parseGgufHeader } from './gguf-header.js';
import { describeModelFile } from './model-file.js';

/**
 * scripts/bert-to-gguf.mjs (what `npm run models:test` turns all-MiniLM-L6-v2 into a GGUF with),
 * on a BERT small enough to write here: llama.cpp must load what it writes and embed with it, the
 * output must be the same bytes every time (its sha256 is pinned), and odd inputs are refused.
 */
const HIDDEN = 8;
const FF = 16;
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', '##s'];
const CONFIG = { model_type: 'bert', vocab_size: VOCAB.length, hidden_size: HIDDEN, intermediate_size: FF, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 16, type_vocab_size: 2, layer_norm_eps: 1e-12 };

/** Row-major shapes of a one-layer BertModel, as Hugging Face names them. */
function bertShapes(): Record<string, number[]> {
  const layer = 'encoder.layer.0.';
  return {
    'embeddings.word_embeddings.weight': [VOCAB.length, HIDDEN],
    'embeddings.position_embeddings.weight': [16, HIDDEN],
    'embeddings.token_type_embeddings.weight': [2, HIDDEN],
    'embeddings.LayerNorm.weight': [HIDDEN],
    'embeddings.LayerNorm.bias': [HIDDEN],
    ...Object.fromEntries(
      ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense'].flatMap((part) => [
        [`${layer}${part}.weight`, [HIDDEN, HIDDEN]],
        [`${layer}${part}.bias`, [HIDDEN]],
      ]),
    ),
    [`${layer}attention.output.LayerNorm.weight`]: [HIDDEN],
    [`${layer}attention.output.LayerNorm.bias`]: [HIDDEN],
    [`${layer}intermediate.dense.weight`]: [FF, HIDDEN],
    [`${layer}intermediate.dense.bias`]: [FF],
    [`${layer}output.dense.weight`]: [HIDDEN, FF],
    [`${layer}output.dense.bias`]: [HIDDEN],
    [`${layer}output.LayerNorm.weight`]: [HIDDEN],
    [`${layer}output.LayerNorm.bias`]: [HIDDEN],
    // Dropped by the converter, as by llama.cpp's: unused for embeddings.
    'pooler.dense.weight': [HIDDEN, HIDDEN],
  };
}

/** A safetensors file: 8-byte header length, JSON header, F32 data (small deterministic values). */
function safetensors(shapes: Record<string, number[]>, dtype = 'F32', headerLength?: bigint): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const data = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) data.writeFloatLE(name.endsWith('LayerNorm.weight') ? 1 : Math.sin(i + offset) * 0.1, i * 4);
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.length] };
    parts.push(data);
    offset += data.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  return Buffer.concat([length, json, ...parts]);
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function modelFolder(weights: Buffer, config: object = CONFIG): { paths: Parameters<typeof convertBertToGguf>[0] } {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  writeFileSync(join(dir.path, 'model.safetensors'), weights);
  writeFileSync(join(dir.path, 'vocab.txt'), `${VOCAB.join('\n')}\n`);
  writeFileSync(join(dir.path, 'config.json'), JSON.stringify(config));
  return { paths: { safetensors: join(dir.path, 'model.safetensors'), vocab: join(dir.path, 'vocab.txt'), config: join(dir.path, 'config.json'), out: join(dir.path, 'model.gguf'), name: 'tiny-bert' } };
}

describe('bert-to-gguf', () => {
  it('writes a bert GGUF that llama.cpp loads and embeds with, the same bytes every time', async () => {
    const { paths } = modelFolder(safetensors(bertShapes()));
    convertBertToGguf(paths);
    const first = readFileSync(paths.out);
    convertBertToGguf(paths);
    expect(readFileSync(paths.out).equals(first)).toBe(true);

    // The kernel's own header check accepts it, and the tensor data ends where the file does.
    await describeModelFile(paths.out);
    const header = await parseGgufHeader(bufferSource(first));
    expect(header).toMatchObject({ architecture: 'bert', name: 'tiny-bert', tensorCount: 21, fileType: 0 });
    expect(header.tensorDataEnd).toBe(BigInt(statSync(paths.out).size));

    const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never', progressLogs: false });
    const model = await llama.loadModel({ modelPath: paths.out });
    cleanups.push(() => model.dispose());
    // WordPiece with the phantom space: "hellos" is hello + ##s.
    expect(model.tokenize('hello worlds')).toEqual([5, 6, 7]);
    const context = await model.createEmbeddingContext({ contextSize: 16, threads: 1 });
    cleanups.push(() => context.dispose());
    const { vector } = await context.getEmbeddingFor('hello world');
    expect(vector).toHaveLength(HIDDEN);
    expect(vector.every(Number.isFinite)).toBe(true);
  });

  it('refuses weights it would not copy faithfully and headers that cannot be right', () => {
    expect(() => convertBertToGguf(modelFolder(safetensors(bertShapes(), 'F16')).paths)).toThrow(/only F32 weights are copied/);
    expect(() => convertBertToGguf(modelFolder(safetensors(bertShapes(), 'F32', 2n ** 40n)).paths)).toThrow(/not plausible/);
    expect(() => convertBertToGguf(modelFolder(safetensors(bertShapes()), { ...CONFIG, vocab_size: 30522 }).paths)).toThrow(/8 tokens, config says 30522/);
    expect(() => convertBertToGguf(modelFolder(safetensors(bertShapes()), { ...CONFIG, model_type: 'llama' }).paths)).toThrow(/is not bert/);
  });
});
