/**
 * The scheduler under overload (issue 16, item 6): many background agents spawned at once, with
 * interactive requests arriving meanwhile. The kernel time-slices a bounded working set and keeps
 * the rest in line; the kernel's own FCFS with the same slots and no working set shares the model
 * among everyone, as the kernel did before the working set. Reported: mean completion time of the
 * background agents, interactive latency, decode throughput against the same workload with fewer
 * agents, and how long `proc.list` takes with every agent in the table.
 */
import { basename } from 'node:path';
import { handleKernelRequest } from '../src-main/kernel/kernel-api.js';
import type { Kernel, KernelConfig } from '../src-main/kernel/index.js';
import { workingSetLimit } from '../src-main/kernel/scheduler/index.js';
import { benchKernel, firstTokenAt, percentile, sleep, workloadFigures, type BenchOptions } from './bench-support.js';

export interface OverloadParams {
  agents: number;
  /** Agents in the nominal run the overload throughput is compared with. */
  nominalAgents: number;
  steps: number;
  tokensPerStep: number;
  interactiveRequests: number;
  requestIntervalMs: number;
  slots: number;
  quantumTokens: number;
  modelPath: string;
  /** The kernel side's working set; unset, the kernel derives it (twice the slots). */
  workingSet?: number;
}

const agent = (steps: number, tokens: number) => ({
  id: 'bench-overload',
  name: 'Overload job',
  description: 'a short job among many',
  systemPrompt: 'You compute one value with the calculator.',
  kind: 'background',
  tools: ['calculator'],
  model: { maxSteps: steps, maxTokensPerStep: tokens, maxAnswerChars: 40 },
});

const interactive = {
  id: 'bench-overload-interactive',
  name: 'Interactive request',
  description: 'a short request',
  systemPrompt: 'Answer the user in a few words.',
  kind: 'interactive',
  tools: [],
  model: { maxSteps: 1, maxTokensPerStep: 24, maxAnswerChars: 24 },
};

interface OverloadFigures extends Record<string, unknown> {
  throughput_tps: number;
  mean_completion_s: number;
  p99_interactive_latency_ms: number;
}

async function workload(kernel: Kernel, params: OverloadParams, agents: number, interactiveRequests: number): Promise<OverloadFigures> {
  const started = performance.now();
  const jobs = Array.from({ length: agents }, (_, i) => kernel.spawn(agent(params.steps, params.tokensPerStep), `Job ${i}: compute ${i} + 7.`));
  const spawnedMs = performance.now() - started;
  // The table at its fullest: what a task manager's refresh costs (the API path validates the result).
  const listMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = performance.now();
    await handleKernelRequest(kernel, 'proc.list', {});
    listMs.push(performance.now() - before);
  }
  const requests: Promise<{ ttftMs: number; latencyMs: number }>[] = [];
  for (let i = 0; i < interactiveRequests; i++) {
    await sleep(params.requestIntervalMs);
    const sent = performance.now();
    const { pid } = kernel.spawn(interactive, `Request ${i}: say hello.`);
    const first = firstTokenAt(kernel, pid);
    requests.push(kernel.wait(pid).then(async () => ({ ttftMs: (await first) - sent, latencyMs: performance.now() - sent })));
  }
  const answered = await Promise.all(requests);
  const done = await Promise.all(jobs.map((job) => kernel.wait(job.pid)));
  const wallMs = performance.now() - started;
  // The same call with the table still full but every agent done: the call's own cost, without the event loop's queue.
  const idleBefore = performance.now();
  await handleKernelRequest(kernel, 'proc.list', {});
  const listIdleMs = performance.now() - idleBefore;
  const tokens = kernel.listProcesses().reduce((sum, p) => sum + p.counters.tokensOut, 0);
  const completions = done.map((info) => ((info.exitedAt ?? 0) - info.createdAt) / 1000);
  const figures = workloadFigures(wallMs, tokens, answered);
  return {
    agents,
    wall_ms: wallMs,
    tokens_out: tokens,
    throughput_tps: figures.throughput_tps,
    interactive_requests: answered.length,
    ttft_p99_ms: figures.ttft_p99_ms,
    p50_interactive_latency_ms: figures.p50_interactive_latency_ms,
    p99_interactive_latency_ms: figures.p99_interactive_latency_ms,
    mean_completion_s: completions.reduce((a, b) => a + b, 0) / completions.length,
    p50_completion_s: percentile(completions, 50),
    first_completion_s: Math.min(...completions),
    spawn_all_ms: spawnedMs,
    proc_list_ms: percentile(listMs, 50),
    proc_list_idle_ms: listIdleMs,
  };
}

async function measure(label: string, options: BenchOptions, params: OverloadParams, overrides: Partial<KernelConfig>, agents: number, interactiveRequests: number) {
  const { kernel, dispose } = await benchKernel({ ...options, modelPath: params.modelPath }, { slots: params.slots, ...overrides });
  try {
    const model = kernel.info().model!;
    const derived = workingSetLimit({ slots: model.slots, kvBytesPerSlot: model.kvBytesPerToken * model.contextSize });
    const setting = overrides.scheduler?.workingSet ?? derived;
    const figures = await workload(kernel, params, agents, interactiveRequests);
    console.error(`scheduler: overload ${label}: ${agents} agents, mean completion ${figures.mean_completion_s.toFixed(1)} s, p99 ${Math.round(figures.p99_interactive_latency_ms)} ms, ${Math.round(figures.throughput_tps)} tok/s, proc.list ${Math.round(figures.proc_list_ms as number)} ms`);
    return { ...figures, working_set: setting === Number.POSITIVE_INFINITY ? 'unlimited' : setting };
  } finally {
    await dispose();
  }
}

export async function runOverload(options: BenchOptions, params: OverloadParams) {
  const fairShare: Partial<KernelConfig> = {
    scheduler: { policy: 'fair-share', quantumTokens: params.quantumTokens, swap: 'ram', ...(params.workingSet === undefined ? {} : { workingSet: params.workingSet }) },
  };
  const fcfs: Partial<KernelConfig> = { scheduler: { policy: 'fcfs', quantumTokens: params.quantumTokens, swap: 'ram', workingSet: 'unlimited' } };
  const nominal = await measure('nominal', options, params, fairShare, params.nominalAgents, 0);
  const kernel = await measure('kernel', options, params, fairShare, params.agents, params.interactiveRequests);
  const fcfsSameSlots = await measure('fcfs_same_slots', options, params, fcfs, params.agents, params.interactiveRequests);
  return {
    params: { ...params, modelPath: undefined, model: basename(params.modelPath) },
    kernel,
    nominal,
    fcfs_same_slots: fcfsSameSlots,
    ratios: {
      // > 1: the kernel's background agents finish sooner on average than under FCFS without a working set.
      mean_completion_vs_fcfs_same_slots: fcfsSameSlots.mean_completion_s / kernel.mean_completion_s,
      p99_interactive_latency_overload_vs_fcfs_same_slots: fcfsSameSlots.p99_interactive_latency_ms / kernel.p99_interactive_latency_ms,
      // The kernel against itself: decode throughput with `agents` against `nominalAgents` (1: no thrashing).
      throughput_overload_vs_nominal: kernel.throughput_tps / nominal.throughput_tps,
    },
  };
}
