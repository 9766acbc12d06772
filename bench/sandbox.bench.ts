/**
 * Wasm tool calls against the alternatives: the same function in plain JS (the floor), and a
 * fresh Node process per call (the container-like isolation baseline).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import createPlugin from '@extism/extism';
import { packageRoot } from '../src-main/settings.js';
import { benchKernel, machineFacts, percentile, type BenchOptions, type BenchResult } from './bench-support.js';

/** The calculator's algorithm in plain JS, to measure what the sandbox adds. */
function evaluate(source: string): number {
  let position = 0;
  const peek = (): string => source.slice(position).trimStart()[0] ?? '';
  const skip = (): void => {
    while (source[position] === ' ') position++;
  };
  const sum = (): number => {
    let value = product();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      skip();
      position++;
      const right = product();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };
  const product = (): number => {
    let value = primary();
    for (let op = peek(); op === '*' || op === '/'; op = peek()) {
      skip();
      position++;
      const right = primary();
      value = op === '*' ? value * right : value / right;
    }
    return value;
  };
  const primary = (): number => {
    skip();
    if (source[position] === '(') {
      position++;
      const value = sum();
      skip();
      position++;
      return value;
    }
    const start = position;
    while (/[\d.]/.test(source[position] ?? '')) position++;
    return Number(source.slice(start, position));
  };
  return sum();
}

const EXPRESSION = '(12 * 7 + 3) / 2 - 5 * (4 + 1)';

async function time(runs: number, work: () => unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

export async function run(options: BenchOptions): Promise<BenchResult> {
  const calls = Number(options.args.calls ?? 500);
  const processes = Number(options.args.processes ?? 20);
  const wasm = new Uint8Array(readFileSync(join(packageRoot(), 'dist', 'wasm-tools', 'tools', 'calculator.wasm')));

  const instantiate = await time(10, async () => {
    const plugin = await createPlugin({ wasm: [{ data: wasm }] }, { useWasi: false, runInWorker: true, functions: {} });
    await plugin.close();
  });

  const { kernel, dispose } = await benchKernel(options, {});
  const context = { pid: 1, agentId: 'bench', agentName: 'Bench', policy: 'strict' as const, signal: new AbortController().signal };
  let kernelCalls: number[];
  let concurrentPerSecond: number;
  try {
    await kernel.tools.invoke('calculator', { expression: EXPRESSION }, context);
    kernelCalls = await time(calls, () => kernel.tools.invoke('calculator', { expression: EXPRESSION }, context));
    const started = performance.now();
    await Promise.all(Array.from({ length: calls }, () => kernel.tools.invoke('calculator', { expression: EXPRESSION }, context)));
    concurrentPerSecond = calls / ((performance.now() - started) / 1000);
  } finally {
    await dispose();
  }

  const js = await time(calls * 10, () => evaluate(EXPRESSION));
  const script = `const e=${JSON.stringify(EXPRESSION)};process.stdout.write(JSON.stringify({value:Function('return '+e)()}))`;
  const processCalls = await time(processes, () => execFileSync(process.execPath, ['-e', script]));

  const wasmCallMs = mean(kernelCalls);
  return {
    name: 'sandbox',
    machine: machineFacts(),
    model: options.modelPath,
    params: { calls, processes, expression: EXPRESSION, tool: 'calculator', pool: 'warm worker instances (max 2 per tool)' },
    kernel: {
      instantiate_ms: percentile(instantiate, 50),
      call_ms_mean: wasmCallMs,
      call_ms_p50: percentile(kernelCalls, 50),
      call_ms_p99: percentile(kernelCalls, 99),
      call_overhead_us: (wasmCallMs - mean(js)) * 1000,
      concurrent_calls_per_s: concurrentPerSecond,
      plain_js_call_us: mean(js) * 1000,
    },
    baseline: { call_ms: mean(processCalls), call_ms_p50: percentile(processCalls, 50), kind: 'fresh node process per call' },
    ratios: { process_vs_wasm_call: mean(processCalls) / wasmCallMs },
  };
}
