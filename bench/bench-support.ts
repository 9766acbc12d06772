import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Jain's fairness index over per-agent shares: 1 is perfectly fair, 1/n is one agent taking all. */
export function jainFairness(shares: readonly number[]): number {
  const sum = shares.reduce((a, b) => a + b, 0);
  const squares = shares.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (shares.length * squares);
}

export function writeResult(result: BenchResult): string {
  const directory = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${result.name}.json`);
  writeFileSync(path, JSON.stringify({ ...result, model: basename(result.model) }, null, 2) + '\n');
  return path;
}
