import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, type KernelConfig } from '../src-main/kernel/index.js';
import { packageRoot } from '../src-main/settings.js';

export interface BenchOptions {
  modelPath: string;
  gpu: 'auto' | 'cpu';
  threads: number | undefined;
  args: Record<string, string | boolean>;
}

export interface BenchResult {
  name: string;
  machine: Record<string, unknown>;
  model: string;
  params: Record<string, unknown>;
  kernel: Record<string, unknown>;
  baseline: Record<string, unknown>;
  ratios: Record<string, unknown>;
}

export function machineFacts(): Record<string, unknown> {
  const cpu = cpus();
  return { platform: platform(), release: release(), cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryBytes: totalmem(), node: process.version };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** One side's figure over repeated runs: the median and the min–max spread (the report charts `{median,min,max}`). */
export function medianSpread(values: readonly number[]): { median: number; min: number; max: number; runs: number } {
  return { median: percentile(values, 50), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/**
 * The figures every side of the scheduler workload reports, computed one way so the kernel's keys
 * and its peers' cannot drift apart.
 */
export function workloadFigures(wallMs: number, tokensOut: number, answered: readonly { ttftMs: number; latencyMs: number }[]) {
  const ttft = answered.map((a) => a.ttftMs);
  const latency = answered.map((a) => a.latencyMs);
  return {
    wall_ms: wallMs,
    tokens_out: tokensOut,
    throughput_tps: tokensOut / (wallMs / 1000),
    interactive_requests: answered.length,
    ttft_p50_ms: percentile(ttft, 50),
    ttft_p99_ms: percentile(ttft, 99),
    p50_interactive_latency_ms: percentile(latency, 50),
    p99_interactive_latency_ms: percentile(latency, 99),
  };
}

/** Jain's fairness index over per-agent shares: 1 is perfectly fair, 1/n is one agent taking all. */
export function jainFairness(shares: readonly number[]): number {
  const sum = shares.reduce((a, b) => a + b, 0);
  const squares = shares.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (shares.length * squares);
}

/** The tiny test model's figures go beside the real model's, in their own folder, so both stay committed. */
export const TINY_MODEL_FILE = 'stories260K.gguf';

/** bench/results/NAME.json for a real model; bench/results/tiny/NAME.json for the tiny test model. */
export function writeResult(result: BenchResult): string {
  const results = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
  const directory = basename(result.model) === TINY_MODEL_FILE ? join(results, 'tiny') : results;
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${result.name}.json`);
  writeFileSync(path, JSON.stringify({ ...result, model: basename(result.model) }, null, 2) + '\n');
  return path;
}


/** A kernel in a throwaway data directory, for one side of a comparison. */
export async function benchKernel(options: BenchOptions, overrides: Partial<KernelConfig>): Promise<{ kernel: Kernel; dispose: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'amk-bench-'));
  const kernel = await Kernel.boot({
    dataDir,
    modelPath: options.modelPath,
    gpu: options.gpu,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    contextSize: 2048,
    slots: 4,
    galleryDir: join(packageRoot(), 'assets', 'gallery'),
    toolDirs: [join(packageRoot(), 'dist', 'wasm-tools', 'tools')],
    version: 'bench',
    ...overrides,
  });
  const model = kernel.info();
  if (!model.model) throw new Error(`bench: the model did not load: ${model.modelError}`);
  return {
    kernel,
    dispose: async () => {
      await kernel.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the time of a process's first streamed token. */
export function firstTokenAt(kernel: Kernel, pid: number): Promise<number> {
  return new Promise((resolve) => {
    const off = kernel.bus.on((event) => {
      if (event.type === 'proc.output' && event.pid === pid) {
        off();
        resolve(performance.now());
      }
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Closed-loop interactive load: users who each wait for their answer, then think, then ask again. */
export interface ClosedLoop {
  users: number;
  /** Requests over all users; each user stops once this many have been sent. */
  requests: number;
  thinkMinMs: number;
  thinkMaxMs: number;
}

/**
 * A user's think time before a request, seeded by user and round (the same on every side and run):
 * uniform in [min, max], so a run's arrivals differ only by how fast the side answers.
 */
export function thinkTimeMs(load: ClosedLoop, user: number, round: number): number {
  let x = (Math.imul(user + 1, 0x9e3779b1) ^ Math.imul(round + 1, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  return load.thinkMinMs + (x / 0x1_0000_0000) * (load.thinkMaxMs - load.thinkMinMs);
}

/**
 * Runs the closed loop: each user thinks, sends, waits for the answer, and again, until `requests`
 * have been sent in all. Resolves with every answer once the last one arrives.
 */
export async function closedLoop<R>(load: ClosedLoop, send: (user: number, round: number) => Promise<R>): Promise<R[]> {
  const answers: R[] = [];
  let sent = 0;
  const user = async (index: number): Promise<void> => {
    for (let round = 0; sent < load.requests; round++) {
      await sleep(thinkTimeMs(load, index, round));
      if (sent >= load.requests) return;
      sent++;
      answers.push(await send(index, round));
    }
  };
  await Promise.all(Array.from({ length: load.users }, (_, index) => user(index)));
  return answers;
}

/**
 * Background load that keeps the slots busy for a whole closed-loop run: each of `agents` runs one
 * job after another (job numbers agent, agent + agents, ...) until `done()` is true, then finishes
 * the job it is in.
 */
export async function keepBusy(agents: number, done: () => boolean, job: (index: number) => Promise<void>): Promise<number> {
  let jobs = 0;
  const agent = async (index: number): Promise<void> => {
    for (let n = index; !done(); n += agents) {
      jobs++;
      await job(n);
    }
  };
  await Promise.all(Array.from({ length: agents }, (_, index) => agent(index)));
  return jobs;
}
