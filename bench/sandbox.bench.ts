/**
 * Wasm tool calls against their peers, every side called the same way: an agent's `tool.call`
 * syscall through the kernel's dispatcher and tool registry. The kernel's side is the calculator in
 * its warm plugin pool; the peers (sandbox-peers.ts) are a warm worker process per tool answering
 * JSON over stdin/stdout, a fresh Wasm instance per call, the algorithm in plain JS in-process, and a
 * fresh Node process per call. Rounds interleave the sides; each figure is the median of the rounds'
 * medians, with the rounds' min and max. Also: a third-party package's install (tools.stage +
 * tools.install) and its first, cold call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handleKernelRequest, type Kernel } from '../src-main/kernel/index.js';
import { packageRoot } from '../src-main/settings.js';
import { GO_PACKAGES } from '../src-main/test-support/go-tool-packages.js';
import { benchKernel, machineFacts, percentile, type BenchOptions, type BenchResult } from './bench-support.js';
import { PEERS, PeerProvider, instantiate } from './sandbox-peers.js';

const EXPRESSION = '(12 * 7 + 3) / 2 - 5 * (4 + 1)';
const PACKAGE = join(GO_PACKAGES, 'word_freq');
const PACKAGE_TEXT = { text: 'the cat and the hat and the bat sat on the mat' };

interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

const median = (values: readonly number[]): number => percentile(values, 50);
const spread = (values: readonly number[]): Spread => ({ median: median(values), min: Math.min(...values), max: Math.max(...values), rounds: values.length });

/** Calls a tool `times` times through the syscall path for `pid`; the median milliseconds of one call. */
async function medianCall(kernel: Kernel, pid: number, tool: string, args: Record<string, unknown>, times: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const response = await kernel.dispatcher.dispatch(pid, { call: 'tool.call', tool, args }, new AbortController().signal);
    samples.push(performance.now() - started);
    if (!response.ok) throw new Error(`bench: ${tool} failed: ${response.error.message}`);
  }
  return median(samples);
}

/** An agent allowed exactly these tools, stopped at once: its pid makes the syscalls. */
async function callerPid(kernel: Kernel, tools: string[]): Promise<number> {
  const manifest = { id: 'bench-caller', name: 'Bench caller', description: 'makes the benchmark tool calls', systemPrompt: 'Call tools.', kind: 'background', tools, model: { maxSteps: 1 } };
  const { pid } = kernel.spawn(manifest, 'Call the tools.');
  kernel.kill(pid);
  await kernel.wait(pid);
  return pid;
}

async function installPackage(kernel: Kernel): Promise<number> {
  const started = performance.now();
  const review = (await handleKernelRequest(kernel, 'tools.stage', { path: PACKAGE })) as { reviewId: string; problems: string[] };
  if (review.problems.length > 0) throw new Error(`bench: the package has problems: ${review.problems.join('; ')}`);
  await handleKernelRequest(kernel, 'tools.install', { reviewId: review.reviewId, allowUnsigned: true });
  return performance.now() - started;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const rounds = Math.max(1, Number(options.args.rounds ?? 9));
  const calls = Number(options.args.calls ?? 500);
  const fresh = Number(options.args.fresh ?? 10);
  const processes = Number(options.args.processes ?? 5);
  const wasm = new Uint8Array(readFileSync(join(packageRoot(), 'dist', 'wasm-tools', 'tools', 'calculator.wasm')));
  const packageName = (JSON.parse(readFileSync(join(PACKAGE, 'tool.json'), 'utf8')) as { name: string }).name;

  const { kernel, dispose } = await benchKernel(options, {});
  const calculator = kernel.tools.manifest('calculator');
  const peers = new PeerProvider(calculator, wasm);
  const args = { expression: EXPRESSION };
  const sides = { kernel: [] as number[], warmProcess: [] as number[], freshInstance: [] as number[], plainJs: [] as number[], freshProcess: [] as number[] };
  const instantiateMs: number[] = [];
  const installMs: number[] = [];
  const coldCallMs: number[] = [];
  let concurrentPerSecond = 0;
  try {
    kernel.tools.register(peers);
    await installPackage(kernel);
    const pid = await callerPid(kernel, ['calculator', packageName, ...Object.values(PEERS)]);
    // Warm both pools before the first round: the kernel's and the warm process's.
    await medianCall(kernel, pid, 'calculator', args, 5);
    await medianCall(kernel, pid, PEERS.warmProcess, args, 5);
    const measures: [keyof typeof sides, () => Promise<number>][] = [
      ['kernel', () => medianCall(kernel, pid, 'calculator', args, calls)],
      ['warmProcess', () => medianCall(kernel, pid, PEERS.warmProcess, args, calls)],
      ['freshInstance', () => medianCall(kernel, pid, PEERS.freshInstance, args, fresh)],
      ['plainJs', () => medianCall(kernel, pid, PEERS.plainJs, args, calls)],
      ['freshProcess', () => medianCall(kernel, pid, PEERS.freshProcess, args, processes)],
    ];
    for (let round = 0; round < rounds; round++) {
      // Interleaved, and the order turned each round, so no side always runs on a warmer machine.
      for (let i = 0; i < measures.length; i++) {
        const [side, measure] = measures[(i + round) % measures.length]!;
        sides[side].push(await measure());
      }
      const started = instantiate(calculator, wasm);
      const { pool, ms } = await started;
      instantiateMs.push(ms);
      await pool.dispose();
      // The package removed, installed again, and called once: its first instance starts in the call.
      await handleKernelRequest(kernel, 'tools.remove', { name: packageName });
      installMs.push(await installPackage(kernel));
      coldCallMs.push(await medianCall(kernel, pid, packageName, PACKAGE_TEXT, 1));
    }
    const started = performance.now();
    const many = Math.max(calls, 10);
    await Promise.all(Array.from({ length: many }, () => kernel.dispatcher.dispatch(pid, { call: 'tool.call', tool: 'calculator', args }, new AbortController().signal)));
    concurrentPerSecond = many / ((performance.now() - started) / 1000);
  } finally {
    await peers.dispose();
    await dispose();
  }

  const perRound = (peer: number[]): Spread => spread(peer.map((value, round) => value / sides.kernel[round]!));
  const kernelCall = spread(sides.kernel);
  const warmProcess = perRound(sides.warmProcess);
  const freshInstance = perRound(sides.freshInstance);
  return {
    name: 'sandbox',
    machine: machineFacts(),
    model: options.modelPath,
    params: {
      rounds,
      calls_per_round: calls,
      fresh_instance_calls_per_round: fresh,
      fresh_process_calls_per_round: processes,
      expression: EXPRESSION,
      tool: 'calculator (AssemblyScript), warm plugin pool (at most 2 instances per tool)',
      path: 'every side: tool.call syscall → dispatcher → tool registry (schema) → provider; audited',
      package: `${packageName} (Go, ${readFileSync(join(PACKAGE, 'plugin.wasm')).length} bytes): removed, then tools.stage + tools.install, then its first call`,
    },
    kernel: {
      call_ms: kernelCall,
      call_overhead_us: (kernelCall.median - median(sides.plainJs)) * 1000,
      instantiate_ms: spread(instantiateMs),
      install_ms: median(installMs),
      install_ms_spread: spread(installMs),
      cold_call_ms: median(coldCallMs),
      cold_call_ms_spread: spread(coldCallMs),
      concurrent_calls_per_s: concurrentPerSecond,
    },
    baseline: {
      warm_process_call_ms: spread(sides.warmProcess),
      fresh_instance_call_ms: spread(sides.freshInstance),
      plain_js_call_ms: spread(sides.plainJs),
      fresh_process_call_ms: spread(sides.freshProcess),
      // Kept under its old name for the history of this file.
      call_ms: median(sides.freshProcess),
      kind: 'peers through the same syscall path: warm worker process per tool (JSON lines over stdin/stdout), fresh Wasm instance per call, plain JS in-process, fresh node process per call',
    },
    ratios: {
      call_vs_warm_process: warmProcess.median,
      call_vs_warm_process_range: [warmProcess.min, warmProcess.max],
      call_vs_fresh_instance: freshInstance.median,
      call_vs_fresh_instance_range: [freshInstance.min, freshInstance.max],
      process_vs_wasm_call: perRound(sides.freshProcess).median,
      call_vs_plain_js: perRound(sides.plainJs).median,
    },
  };
}
