/**
 * `npm run bench -- NAME [--model PATH] [--gpu auto|cpu] [--threads N] [--key value ...]`
 * Each benchmark measures the kernel and its peers in the same run and writes bench/results/NAME.json
 * (bench/results/tiny/NAME.json with the tiny test model).
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchResult } from './bench-support.js';
import { writeResult } from './bench-support.js';
import { testChatModelPath } from '../src-main/test-support/fixtures.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace('.bench.ts', ''));

const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--model PATH] [--gpu auto|cpu] [--threads N]\nbenchmarks: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
const args: Record<string, string | boolean> = {};
for (let i = 0; i < rest.length; i++) {
  const flag = rest[i]!;
  if (!flag.startsWith('--')) continue;
  const next = rest[i + 1];
  if (next === undefined || next.startsWith('--')) args[flag.slice(2)] = true;
  else args[flag.slice(2)] = (i++, next);
}
/**
 * The real chat model (`npm run models:test`) unless told otherwise: its figures are the headline
 * (bench/results/NAME.json); `--model ../shared/models/stories260K.gguf` writes bench/results/tiny/NAME.json.
 */
function defaultModel(): string {
  try {
    return testChatModelPath();
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    process.exit(2);
  }
}
const modelPath = resolve(String(args.model ?? process.env.AMK_MODEL ?? defaultModel()));
if (!existsSync(modelPath)) {
  console.error(`bench: model not found at ${modelPath}: pass --model PATH`);
  process.exit(2);
}
const gpu = args.gpu === 'cpu' ? 'cpu' : 'auto';
const options: BenchOptions = { modelPath, gpu, threads: args.threads ? Number(args.threads) : undefined, args };
const module = (await import(`./${name}.bench.ts`)) as { run: (options: BenchOptions) => Promise<BenchResult> };
const result = await module.run(options);
const path = writeResult(result);
console.log(JSON.stringify(result.ratios, null, 2));
console.log(`wrote ${path}`);
