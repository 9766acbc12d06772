// A BERT sentence-embedding model (Hugging Face safetensors + vocab.txt + config.json, as in
// sentence-transformers/all-MiniLM-L6-v2) written as a GGUF file that llama.cpp loads as `bert`.
// It writes what llama.cpp's own converter (convert_hf_to_gguf.py, BertModel) writes for such a
// model: the same metadata keys, tensor names and WordPiece "phantom space" vocabulary, with the
// weights copied as F32, unchanged. That converter needs PyTorch, which the build machines do not
// have; this needs nothing but Node. The output is byte-for-byte deterministic, so its sha256 can
// be pinned (assets/test-models.json).
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

const GGUF_MAGIC = 0x46554747; // "GGUF", little-endian
const GGUF_VERSION = 3;
const ALIGNMENT = 32;
const GGML_TYPE_F32 = 0;
const LLAMA_FTYPE_ALL_F32 = 0;
const POOLING_MEAN = 1;
const TOKEN_TYPE = { normal: 1, control: 3 };
const V = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 };

/** HF BertModel tensor names → llama.cpp's (gguf-py's tensor map for MODEL_ARCH.BERT). */
function ggufTensorName(name) {
  const fixed = {
    'embeddings.word_embeddings.weight': 'token_embd.weight',
    'embeddings.position_embeddings.weight': 'position_embd.weight',
    'embeddings.token_type_embeddings.weight': 'token_types.weight',
    'embeddings.LayerNorm.weight': 'token_embd_norm.weight',
    'embeddings.LayerNorm.bias': 'token_embd_norm.bias',
  };
  if (fixed[name]) return fixed[name];
  const layer = /^encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
  if (!layer) return null;
  const parts = {
    'attention.self.query': 'attn_q',
    'attention.self.key': 'attn_k',
    'attention.self.value': 'attn_v',
    'attention.output.dense': 'attn_output',
    'attention.output.LayerNorm': 'attn_output_norm',
    'intermediate.dense': 'ffn_up',
    'output.dense': 'ffn_down',
    'output.LayerNorm': 'layer_output_norm',
  };
  const part = parts[layer[2]];
  return part ? `blk.${layer[1]}.${part}.${layer[3]}` : null;
}

/** The safetensors header: tensor name → dtype, shape and byte range after the header. */
function readSafetensorsHeader(fd) {
  const size = Buffer.alloc(8);
  readSync(fd, size, 0, 8, 0);
  const length = Number(size.readBigUInt64LE(0));
  if (length > 100 * 1024 * 1024) throw new Error(`safetensors header of ${length} bytes is not plausible`);
  const json = Buffer.alloc(length);
  readSync(fd, json, 0, length, 8);
  const { __metadata__: _metadata, ...tensors } = JSON.parse(json.toString('utf8'));
  return { tensors, dataStart: 8 + length };
}

class Writer {
  constructor() {
    this.chunks = [];
  }
  u32(value) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.chunks.push(b);
  }
  i32(value) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.chunks.push(b);
  }
  u64(value) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.chunks.push(b);
  }
  f32(value) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.chunks.push(b);
  }
  string(text) {
    const bytes = Buffer.from(text, 'utf8');
    this.u64(bytes.length);
    this.chunks.push(bytes);
  }
  kv(key, type, value) {
    this.string(key);
    this.u32(type);
    if (type === V.uint32) this.u32(value);
    else if (type === V.int32) this.i32(value);
    else if (type === V.float32) this.f32(value);
    else if (type === V.bool) this.chunks.push(Buffer.from([value ? 1 : 0]));
    else if (type === V.string) this.string(value);
    else throw new Error(`unsupported GGUF value type ${type}`);
  }
  array(key, itemType, items) {
    this.string(key);
    this.u32(V.array);
    this.u32(itemType);
    this.u64(items.length);
    for (const item of items) {
      if (itemType === V.string) this.string(item);
      else if (itemType === V.int32) this.i32(item);
      else throw new Error(`unsupported GGUF array type ${itemType}`);
    }
  }
}

const padTo = (offset) => (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;

/**
 * Writes `out` from the model folder's files. `name` goes into general.name.
 * @param {{ safetensors: string, vocab: string, config: string, out: string, name: string }} paths
 */
export function convertBertToGguf({ safetensors, vocab, config, out, name }) {
  const hparams = JSON.parse(readFileSync(config, 'utf8'));
  if (hparams.model_type !== 'bert') throw new Error(`${config}: model_type ${hparams.model_type} is not bert`);
  // vocab.txt holds one token per line in id order; the last line ends with a newline.
  const tokens = readFileSync(vocab, 'utf8').split('\n');
  if (tokens.at(-1) === '') tokens.pop();
  if (tokens.length !== hparams.vocab_size) throw new Error(`${vocab}: ${tokens.length} tokens, config says ${hparams.vocab_size}`);
  const special = new Set(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  const types = tokens.map((token) => (special.has(token) ? TOKEN_TYPE.control : TOKEN_TYPE.normal));
  // WordPiece with a phantom space: a word-initial piece gets "▁", a continuation loses its "##".
  const ggufTokens = tokens.map((token, index) => (types[index] === TOKEN_TYPE.control ? token : token.startsWith('##') ? token.slice(2) : `\u2581${token}`));
  const id = (token) => {
    const index = tokens.indexOf(token);
    if (index < 0) throw new Error(`${vocab} has no ${token}`);
    return index;
  };

  const input = openSync(safetensors, 'r');
  try {
    const { tensors, dataStart } = readSafetensorsHeader(input);
    const kept = Object.entries(tensors)
      .map(([source, info]) => ({ source, name: ggufTensorName(source), ...info }))
      .filter((tensor) => tensor.name !== null)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const tensor of kept) if (tensor.dtype !== 'F32') throw new Error(`${tensor.source} is ${tensor.dtype}; only F32 weights are copied`);

    const header = new Writer();
    header.u32(GGUF_MAGIC);
    header.u32(GGUF_VERSION);
    header.u64(kept.length);
    const kvs = new Writer();
    let kvCount = 0;
    const kv = (key, type, value) => {
      kvs.kv(key, type, value);
      kvCount++;
    };
    kv('general.architecture', V.string, 'bert');
    kv('general.name', V.string, name);
    kv('general.file_type', V.uint32, LLAMA_FTYPE_ALL_F32);
    kv('bert.context_length', V.uint32, hparams.max_position_embeddings);
    kv('bert.embedding_length', V.uint32, hparams.hidden_size);
    kv('bert.feed_forward_length', V.uint32, hparams.intermediate_size);
    kv('bert.block_count', V.uint32, hparams.num_hidden_layers);
    kv('bert.attention.head_count', V.uint32, hparams.num_attention_heads);
    kv('bert.attention.head_count_kv', V.uint32, hparams.num_attention_heads);
    kv('bert.attention.layer_norm_epsilon', V.float32, hparams.layer_norm_eps);
    kv('bert.attention.causal', V.bool, false);
    // sentence-transformers pools by the mean of the token vectors (1_Pooling/config.json).
    kv('bert.pooling_type', V.uint32, POOLING_MEAN);
    kv('tokenizer.ggml.token_type_count', V.uint32, hparams.type_vocab_size ?? 1);
    kv('tokenizer.ggml.model', V.string, 'bert');
    kv('tokenizer.ggml.pre', V.string, 'default');
    kvs.array('tokenizer.ggml.tokens', V.string, ggufTokens);
    kvs.array('tokenizer.ggml.token_type', V.int32, types);
    kvCount += 2;
    kv('tokenizer.ggml.unknown_token_id', V.uint32, id('[UNK]'));
    kv('tokenizer.ggml.seperator_token_id', V.uint32, id('[SEP]'));
    kv('tokenizer.ggml.padding_token_id', V.uint32, id('[PAD]'));
    kv('tokenizer.ggml.cls_token_id', V.uint32, id('[CLS]'));
    kv('tokenizer.ggml.mask_token_id', V.uint32, id('[MASK]'));
    header.u64(kvCount);

    const infos = new Writer();
    let offset = 0;
    const placed = kept.map((tensor) => {
      const bytes = tensor.data_offsets[1] - tensor.data_offsets[0];
      const count = tensor.shape.reduce((a, b) => a * b, 1);
      if (bytes !== count * 4) throw new Error(`${tensor.source}: ${bytes} bytes for ${count} F32 values`);
      const at = offset;
      offset += bytes + padTo(bytes);
      infos.string(tensor.name);
      // GGUF lists dimensions innermost first: the reverse of the row-major shape.
      infos.u32(tensor.shape.length);
      for (const dim of [...tensor.shape].reverse()) infos.u64(dim);
      infos.u32(GGML_TYPE_F32);
      infos.u64(at);
      return { ...tensor, at, bytes };
    });

    const output = openSync(out, 'w');
    try {
      const head = Buffer.concat([...header.chunks, ...kvs.chunks, ...infos.chunks]);
      writeSync(output, head);
      writeSync(output, Buffer.alloc(padTo(head.length)));
      for (const tensor of placed) {
        const data = Buffer.alloc(tensor.bytes);
        readSync(input, data, 0, tensor.bytes, dataStart + tensor.data_offsets[0]);
        writeSync(output, data);
        writeSync(output, Buffer.alloc(padTo(tensor.bytes)));
      }
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
}
