import { execFileSync } from 'node:child_process';
import { ensureTinyLlama } from './src-main/test-support/tiny-gguf.js';
import { testModelPath, tinyModelPath } from './src-main/test-support/fixtures.js';

/**
 * Before any test: the kernel's tools are Wasm plugins built from wasm-tools/ (cached), and the
 * quantized-KV tests need the tiny head-dim-32 model generated from the shared tokenizer.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['wasm-tools/build.mjs'], { stdio: 'inherit' });
  ensureTinyLlama(testModelPath(), tinyModelPath());
}
