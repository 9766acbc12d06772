/** Types for bert-to-gguf.mjs (a plain Node script, so `npm run models:test` needs no build). */
export function convertBertToGguf(paths: { safetensors: string; vocab: string; config: string; out: string; name: string }): void;
