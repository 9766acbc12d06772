/**
 * Mixed workload on one model: interactive requests arriving over time among long background jobs.
 * Kernel: fair-share scheduler, batched slots, preemption. Baseline: the application-layer way,
 * every agent calling one model first-come-first-served with no preemption (FCFS, one sequence).
 */
import type { Kernel, KernelConfig } from '../src-main/kernel/index.js';
import type { ToolManifest } from '../src-shared/index.js';
import { benchKernel, firstTokenAt, jainFairness, machineFacts, sleep, workloadFigures, type BenchOptions, type BenchResult } from './bench-support.js';
import { measureLlamaServer } from './peers/scheduler-peer.js';
import { PEER_MISSING } from './peers/llama-server.js';

interface Params {
  interactiveUsers: number;
  requestsPerUser: number;
  requestIntervalMs: number;
  backgroundAgents: number;
  backgroundSteps: number;
  slots: number;
  quantumTokens: number;
}

const background = (steps: number) => ({
  id: 'bench-background',
  name: 'Background job',
  description: 'a long job',
  systemPrompt: 'You compute a long series of values with the calculator.',
  kind: 'background',
  tools: ['calculator'],
  model: { maxSteps: steps, maxTokensPerStep: 160, maxAnswerChars: 200 },
});

const interactive = {
  id: 'bench-interactive',
  name: 'Interactive request',
  description: 'a short request',
  systemPrompt: 'Answer the user in one short sentence.',
  kind: 'interactive',
  tools: [],
  model: { maxSteps: 1, maxTokensPerStep: 64, maxAnswerChars: 120 },
};

const backgroundTask = (job: number): string => `Job ${job}: compute 12 * ${job + 3}.`;
const interactiveTask = (user: number, round: number): string => `User ${user}, request ${round}: say hello.`;
/** benchKernel's contextSize: node-llama-cpp gives each sequence (slot) this many tokens. */
const BENCH_CONTEXT = 2048;

async function workload(kernel: Kernel, params: Params) {
  const started = performance.now();
  const backgroundPids = Array.from({ length: params.backgroundAgents }, (_, i) => kernel.spawn(background(params.backgroundSteps), backgroundTask(i)).pid);
  const requests: Promise<{ ttftMs: number; latencyMs: number }>[] = [];
  for (let round = 0; round < params.requestsPerUser; round++) {
    await sleep(params.requestIntervalMs);
    for (let user = 0; user < params.interactiveUsers; user++) {
      const sent = performance.now();
      const { pid } = kernel.spawn(interactive, interactiveTask(user, round));
      const first = firstTokenAt(kernel, pid);
      requests.push(
        kernel.wait(pid).then(async () => ({ ttftMs: (await first) - sent, latencyMs: performance.now() - sent })),
      );
    }
  }
  const answered = await Promise.all(requests);
  const jobs = await Promise.all(backgroundPids.map((pid) => kernel.wait(pid)));
  const wallMs = performance.now() - started;
  const all = kernel.listProcesses();
  const tokens = all.reduce((sum, p) => sum + p.counters.tokensOut, 0);
  const rates = jobs.map((job) => job.counters.tokensOut / (((job.exitedAt ?? 0) - job.createdAt) / 1000));
  return {
    ...workloadFigures(wallMs, tokens, answered),
    jain_fairness: jainFairness(rates),
    preemptions: all.reduce((sum, p) => sum + p.counters.preemptions, 0),
    swaps_out: all.reduce((sum, p) => sum + p.counters.swapsOut, 0),
  };
}

/** The same workload through llama.cpp's own server; skipped, not failed, when it is not built. */
async function measurePeer(options: BenchOptions, params: Params, tools: readonly ToolManifest[]): Promise<Record<string, unknown>> {
  const result = await measureLlamaServer(options, {
    ...params,
    slotContext: BENCH_CONTEXT,
    background: background(params.backgroundSteps),
    interactive,
    backgroundTask,
    interactiveTask,
    tools,
  });
  if (result.skipped === PEER_MISSING) console.error(`scheduler: peers.llama_server skipped: ${PEER_MISSING}`);
  return result;
}

async function measure(options: BenchOptions, params: Params, overrides: Partial<KernelConfig>, seen?: (kernel: Kernel) => void) {
  const { kernel, dispose } = await benchKernel(options, overrides);
  try {
    seen?.(kernel);
    return await workload(kernel, params);
  } finally {
    await dispose();
  }
}

export async function run(options: BenchOptions): Promise<BenchResult & { peers: { llama_server: Record<string, unknown> } }> {
  const params: Params = {
    interactiveUsers: 2,
    requestsPerUser: Number(options.args.requests ?? 6),
    requestIntervalMs: Number(options.args.interval ?? 400),
    backgroundAgents: 6,
    backgroundSteps: Number(options.args.steps ?? 4),
    slots: Number(options.args.slots ?? 4),
    quantumTokens: Number(options.args.quantum ?? 32),
  };
  let tools: ToolManifest[] = [];
  const kernel = await measure(options, params, {
    slots: params.slots,
    scheduler: { policy: 'fair-share', quantumTokens: params.quantumTokens, swap: 'ram' },
  }, (booted) => (tools = booted.listTools()));
  const baseline = await measure(options, params, { slots: 1, scheduler: { policy: 'fcfs', quantumTokens: params.quantumTokens, swap: 'ram' } });
  const llamaServer = options.args.peers === 'none' ? { skipped: 'peers off (--peers none)' } : await measurePeer(options, params, tools);
  const peerRatios =
    typeof llamaServer.p99_interactive_latency_ms === 'number' && typeof llamaServer.throughput_tps === 'number'
      ? {
          // > 1: the kernel answers interactive requests sooner / serves more tokens per second than llama-server.
          p99_interactive_latency_vs_llama_server: llamaServer.p99_interactive_latency_ms / kernel.p99_interactive_latency_ms,
          throughput_vs_llama_server: kernel.throughput_tps / llamaServer.throughput_tps,
        }
      : {};
  return {
    name: 'scheduler',
    machine: machineFacts(),
    model: options.modelPath,
    params: {
      ...params,
      gpu: options.gpu,
      threads: options.threads ?? 'default',
      baseline: 'fcfs, 1 sequence, no preemption',
      // One measurement per side per invocation: no repeats, so no spread is reported.
      runs: 1,
      interactive_requests: params.interactiveUsers * params.requestsPerUser,
      peers: 'llama_server: llama.cpp tools/server, --parallel = slots, same model, threads, step grammar and prompts',
    },
    kernel,
    baseline,
    peers: { llama_server: llamaServer },
    ratios: {
      ...peerRatios,
      throughput: kernel.throughput_tps / baseline.throughput_tps,
      p99_interactive_latency: kernel.p99_interactive_latency_ms / baseline.p99_interactive_latency_ms,
      p50_interactive_latency: kernel.p50_interactive_latency_ms / baseline.p50_interactive_latency_ms,
      p99_ttft: kernel.ttft_p99_ms / baseline.ttft_p99_ms,
    },
  };
}
