/**
 * Mixed workload on one model: interactive users in a closed loop (each asks again once answered,
 * after a think time) while background agents keep every slot busy.
 * Sides, measured in the same run and interleaved (each run takes them in a rotated order, so drift
 * and the shared machine's load hit every side): the kernel (fair-share scheduler, batched slots,
 * preemption); llama.cpp's own server with the same slots (`llama-server --parallel N`: continuous
 * batching, FCFS, no preemption); the kernel's own FCFS policy with the same slots (policy alone);
 * FCFS with one slot (the sequential, application-layer baseline). Then the overload scenario
 * (scheduler-overload.ts) and, when it exists, the tool-heavy scenario (scheduler-tool-heavy.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kernel, KernelConfig } from '../src-main/kernel/index.js';
import type { ToolManifest } from '../src-shared/index.js';
import { testModelPath } from '../src-main/test-support/fixtures.js';
import { benchKernel, closedLoop, firstTokenAt, jainFairness, keepBusy, machineFacts, medianSpread, TINY_MODEL_FILE, type ClosedLoop, workloadFigures, type BenchOptions, type BenchResult } from './bench-support.js';
import { measureLlamaServer } from './peers/scheduler-peer.js';
import { runOverload, type OverloadParams } from './scheduler-overload.js';

interface Params {
  /** Closed loop: each user sends its next request once the answer is in and a think time has passed. */
  interactiveUsers: number;
  interactiveRequests: number;
  thinkMinMs: number;
  thinkMaxMs: number;
  /** Agents that each run one background job after another for the whole run (>= slots: every slot stays busy). */
  backgroundAgents: number;
  backgroundSteps: number;
  slots: number;
  quantumTokens: number;
  runs: number;
}

const background = (steps: number) => ({
  id: 'bench-background',
  name: 'Background job',
  description: 'a long job',
  systemPrompt: 'You compute a long series of values with the calculator.',
  kind: 'background',
  tools: ['calculator'],
  model: { maxSteps: steps, maxTokensPerStep: 32, maxAnswerChars: 40 },
});

const interactive = {
  id: 'bench-interactive',
  name: 'Interactive request',
  description: 'a short request',
  systemPrompt: 'Answer the user in a few words.',
  kind: 'interactive',
  tools: [],
  // Short answers: a hundred of them per run keep the benchmark to minutes on the real model.
  model: { maxSteps: 1, maxTokensPerStep: 16, maxAnswerChars: 12 },
};

const backgroundTask = (job: number): string => `Job ${job}: compute 12 * ${job + 3}, then add 7, then multiply by 2, then subtract 5, one step at a time.`;
const interactiveTask = (user: number, round: number): string => `User ${user}, request ${round}: say hello.`;
/** benchKernel's contextSize: node-llama-cpp gives each sequence (slot) this many tokens. */
const BENCH_CONTEXT = 2048;

export const closedLoopOf = (params: Params): ClosedLoop => ({ users: params.interactiveUsers, requests: params.interactiveRequests, thinkMinMs: params.thinkMinMs, thinkMaxMs: params.thinkMaxMs });

async function workload(kernel: Kernel, params: Params) {
  const started = performance.now();
  let interactiveDone = false;
  const jobs: Awaited<ReturnType<Kernel['wait']>>[] = [];
  const busy = keepBusy(params.backgroundAgents, () => interactiveDone, async (job) => {
    jobs.push(await kernel.wait(kernel.spawn(background(params.backgroundSteps), backgroundTask(job)).pid));
  });
  busy.catch(() => undefined);
  let firstPid: number | undefined;
  const answered = await closedLoop(closedLoopOf(params), async (user, round) => {
    const sent = performance.now();
    const { pid } = kernel.spawn(interactive, interactiveTask(user, round));
    firstPid ??= pid;
    const first = firstTokenAt(kernel, pid);
    await kernel.wait(pid);
    return { ttftMs: (await first) - sent, latencyMs: performance.now() - sent };
  }).finally(() => (interactiveDone = true));
  await busy;
  const wallMs = performance.now() - started;
  const all = kernel.listProcesses();
  const tokens = all.reduce((sum, p) => sum + p.counters.tokensOut, 0);
  const rates = jobs.map((job) => job.counters.tokensOut / (((job.exitedAt ?? 0) - job.createdAt) / 1000));
  // The first request's window (context tokens less those it produced): the peer's must match it.
  const firstRequest = all.find((p) => p.pid === firstPid);
  return {
    ...workloadFigures(wallMs, tokens, answered),
    background_jobs: jobs.length,
    first_request_prompt_tokens: firstRequest ? firstRequest.counters.contextTokens - firstRequest.counters.tokensOut : Number.NaN,
    jain_fairness: jainFairness(rates),
    preemptions: all.reduce((sum, p) => sum + p.counters.preemptions, 0),
    swaps_out: all.reduce((sum, p) => sum + p.counters.swapsOut, 0),
  };
}

/** The same workload through llama.cpp's own server; skipped, not failed, when it is not built. */
async function measurePeer(options: BenchOptions, params: Params, tools: readonly ToolManifest[]): Promise<Record<string, unknown>> {
  return measureLlamaServer(options, {
    load: closedLoopOf(params),
    backgroundAgents: params.backgroundAgents,
    backgroundSteps: params.backgroundSteps,
    slots: params.slots,
    slotContext: BENCH_CONTEXT,
    background: background(params.backgroundSteps),
    interactive,
    backgroundTask,
    interactiveTask,
    tools,
  });
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

type Side = 'kernel' | 'llama_server' | 'fcfs_same_slots' | 'fcfs_1_slot';
const SIDES: readonly Side[] = ['kernel', 'llama_server', 'fcfs_same_slots', 'fcfs_1_slot'];

/** The kernel's configuration for each kernel-run side; the FCFS sides have no working set, as the kernel before it. */
function kernelSide(side: Exclude<Side, 'llama_server'>, params: Params): Partial<KernelConfig> {
  const common = { quantumTokens: params.quantumTokens, swap: 'ram' as const };
  if (side === 'kernel') return { slots: params.slots, scheduler: { ...common, policy: 'fair-share' } };
  return { slots: side === 'fcfs_same_slots' ? params.slots : 1, scheduler: { ...common, policy: 'fcfs', workingSet: 'unlimited' } };
}

/** The figures reported with their spread (and charted); the other numbers as their median. */
const SPREAD = new Set(['throughput_tps', 'p50_interactive_latency_ms', 'p99_interactive_latency_ms', 'ttft_p50_ms', 'ttft_p99_ms']);

/** A side's runs: the headline figures as `{median,min,max,runs}`, other numbers as medians, other fields as the first run had them. */
function summarize(runs: readonly Record<string, unknown>[]): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(runs[0] ?? {})) {
    if (typeof value !== 'number') summary[key] = value;
    else {
      const spread = medianSpread(runs.map((run) => run[key] as number));
      summary[key] = SPREAD.has(key) ? spread : spread.median;
    }
  }
  return summary;
}

function median(side: Record<string, unknown>, key: string): number {
  const value = side[key] as { median?: unknown } | undefined;
  return typeof value?.median === 'number' ? value.median : Number.NaN;
}

/**
 * Ratios of medians, > 1 favouring the kernel (latency peer ÷ kernel, throughput kernel ÷ peer),
 * each with `_range`: the lowest and highest of the per-run ratios (run i of the kernel against run i
 * of the peer, measured back to back).
 */
function ratiosAgainst(kernelRuns: readonly Record<string, unknown>[], peerRuns: readonly Record<string, unknown>[], name: string): Record<string, unknown> {
  if (peerRuns.length === 0) return {};
  const [kernel, peer] = [summarize(kernelRuns), summarize(peerRuns)];
  const ratios: Record<string, unknown> = {};
  const add = (ratio: string, key: string, lowerIsBetter: boolean): void => {
    const of = (a: number, b: number): number => (lowerIsBetter ? b / a : a / b);
    ratios[ratio] = of(median(kernel, key), median(peer, key));
    const paired = kernelRuns.slice(0, peerRuns.length).map((run, i) => of(run[key] as number, peerRuns[i]![key] as number));
    ratios[`${ratio}_range`] = [Math.min(...paired), Math.max(...paired)];
  };
  add(`p99_interactive_latency_vs_${name}`, 'p99_interactive_latency_ms', true);
  add(`p50_interactive_latency_vs_${name}`, 'p50_interactive_latency_ms', true);
  add(`ttft_p99_vs_${name}`, 'ttft_p99_ms', true);
  add(`throughput_vs_${name}`, 'throughput_tps', false);
  return ratios;
}

/**
 * A further scheduler scenario kept in its own module: the tool-heavy workload (swap by idleness
 * against swap on demand, issue 16 item 5) in bench/scheduler-tool-heavy.ts, exporting
 * `runToolHeavyScenario(options)` (or `run(options)`) that resolves to a ScenarioResult. Its params
 * and kernel figures are filed under `tool_heavy`; its peers and ratios (`ttft_vs_swap_on_demand`,
 * ...) merge with this benchmark's. `--tool-heavy none` leaves it out.
 */
export interface ScenarioResult {
  params?: Record<string, unknown>;
  kernel?: Record<string, unknown>;
  peers?: Record<string, unknown>;
  ratios?: Record<string, unknown>;
}

async function toolHeavy(options: BenchOptions): Promise<ScenarioResult | null> {
  const path = fileURLToPath(new URL('./scheduler-tool-heavy.ts', import.meta.url));
  if (options.args['tool-heavy'] === 'none' || !existsSync(path)) return null;
  type Scenario = (options: BenchOptions) => Promise<ScenarioResult>;
  const module = (await import(pathToFileURL(path).href)) as { run?: Scenario; runToolHeavyScenario?: Scenario };
  const scenario = module.runToolHeavyScenario ?? module.run;
  if (typeof scenario !== 'function') throw new Error(`${path} must export runToolHeavyScenario(options: BenchOptions)`);
  return scenario(options);
}

const arg = (options: BenchOptions, name: string, fallback: number): number => Number(options.args[name] ?? fallback);

function overloadParams(options: BenchOptions, params: Params): OverloadParams {
  return {
    agents: arg(options, 'overload-agents', 1000),
    nominalAgents: arg(options, 'overload-nominal', 100),
    steps: arg(options, 'overload-steps', 2),
    tokensPerStep: arg(options, 'overload-tokens', 4),
    interactiveRequests: arg(options, 'overload-requests', 100),
    requestIntervalMs: arg(options, 'overload-interval', 100),
    // Its own slot count (4, as it was measured), not the mixed workload's.
    slots: arg(options, 'overload-slots', 4),
    quantumTokens: params.quantumTokens,
    // 1,000 agents on the real model take far longer than the whole benchmark should: the tiny model by default.
    modelPath: typeof options.args['overload-model'] === 'string' ? options.args['overload-model'] : testModelPath(),
    ...(options.args['working-set'] === undefined ? {} : { workingSet: arg(options, 'working-set', 0) }),
  };
}

/** The committed result this run would replace (bench/results[/tiny]/scheduler.json). */
function committedResultPath(options: BenchOptions): string {
  const results = fileURLToPath(new URL('./results/', import.meta.url));
  return join(basename(options.modelPath) === TINY_MODEL_FILE ? join(results, 'tiny') : results, 'scheduler.json');
}

/**
 * `--carry-scenarios`: the overload and tool-heavy figures are not measured again but copied from
 * the committed result (keys as written, plus `params.scenarios_carried_from` saying so), for a run
 * that re-measures only the mixed workload when the whole benchmark would take too long.
 */
function carryScenarios(options: BenchOptions, into: { kernel: Record<string, unknown>; peers: Peers; ratios: Record<string, unknown>; extra: Record<string, unknown> }): void {
  const path = committedResultPath(options);
  const old = JSON.parse(readFileSync(path, 'utf8')) as { params: Record<string, unknown>; kernel: Record<string, unknown>; peers: Record<string, Record<string, unknown>>; ratios: Record<string, unknown> };
  const scenario = (key: string): boolean => key.includes('overload') || key === 'mean_completion_s' || key === 'tool_heavy';
  for (const [key, value] of Object.entries(old.kernel)) if (scenario(key)) into.kernel[key] = value;
  if (old.peers.fcfs_same_slots?.overload) into.peers.fcfs_same_slots.overload = old.peers.fcfs_same_slots.overload;
  for (const [name, value] of Object.entries(old.peers)) if (!(name in into.peers)) into.peers[name] = value;
  const mixed = /^(p99_interactive_latency|p50_interactive_latency|ttft_p99|throughput)_vs_(llama_server|fcfs_same_slots|fcfs_1_slot)(_range)?$/;
  for (const [key, value] of Object.entries(old.ratios)) if (!mixed.test(key)) into.ratios[key] = value;
  for (const key of ['overload', 'tool_heavy']) into.extra[key] = old.params[key] ?? `not measured: the result carried from has no ${key} figures`;
  into.extra.scenarios_carried_from = `overload and tool-heavy figures copied from the previously committed ${relative(fileURLToPath(new URL('..', import.meta.url)), path)} (--carry-scenarios), not measured in this run`;
}

/**
 * Like-for-like prompts, checked: the first interactive request's window in tokens as the kernel
 * evaluated it (its context tokens less those it produced) and as llama-server counted the token ids
 * it was sent (`tokens_evaluated`), per run.
 */
function promptCheck(runs: Record<Side, Record<string, unknown>[]>): Record<string, unknown> {
  const counts = (side: Side): unknown[] => runs[side].map((run) => run.first_request_prompt_tokens);
  const kernel = counts('kernel');
  const peer = counts('llama_server');
  return {
    method: 'the first interactive request of each run: prompt tokens the kernel evaluated (contextTokens - tokensOut) against those llama-server counted for the token ids the peer sent (tokens_evaluated)',
    kernel_first_request_prompt_tokens: kernel,
    llama_server_first_request_prompt_tokens: peer,
    same: peer.length > 0 && [...kernel, ...peer].every((count) => count === kernel[0]),
  };
}

type Peers = Record<'llama_server' | 'fcfs_same_slots' | 'fcfs_1_slot', Record<string, unknown>> & Record<string, Record<string, unknown>>;

export async function run(options: BenchOptions): Promise<BenchResult & { peers: Peers }> {
  const params: Params = {
    // Closed loop: a user asks again only once answered (and after thinking), so no side builds a
    // backlog it cannot serve and latency shows scheduling, not queue growth; the background agents
    // (one per slot, each job followed by the next) keep every slot busy for the whole run.
    interactiveUsers: arg(options, 'users', 4),
    interactiveRequests: arg(options, 'requests', 100),
    thinkMinMs: arg(options, 'think-min', 500),
    thinkMaxMs: arg(options, 'think-max', 1000),
    backgroundAgents: arg(options, 'agents', arg(options, 'slots', 2)),
    backgroundSteps: arg(options, 'steps', 2),
    // Two slots: four sides of five runs of 100 requests on the real model fit about 25 minutes on 1 thread (four took 45).
    slots: arg(options, 'slots', 2),
    quantumTokens: arg(options, 'quantum', 32),
    runs: arg(options, 'runs', 5),
  };
  const loadAtStart = loadavg()[0]!;
  const runs: Record<Side, Record<string, unknown>[]> = { kernel: [], llama_server: [], fcfs_same_slots: [], fcfs_1_slot: [] };
  let tools: ToolManifest[] = [];
  let peerSkipped: string | null = options.args.peers === 'none' ? 'peers off (--peers none)' : null;
  for (let round = 0; round < params.runs; round++) {
    // Rotated order: no side always runs first (after a cold start) or last (on a warmer machine).
    for (const side of SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]!)) {
      let figures: Record<string, unknown>;
      if (side === 'llama_server') {
        if (peerSkipped) continue;
        figures = await measurePeer(options, params, tools);
        if (typeof figures.skipped === 'string') {
          peerSkipped = figures.skipped;
          console.error(`scheduler: peers.llama_server skipped: ${peerSkipped}`);
          continue;
        }
      } else {
        figures = await measure(options, params, kernelSide(side, params), side === 'kernel' ? (booted) => (tools = booted.listTools()) : undefined);
      }
      runs[side].push(figures);
      console.error(`scheduler: run ${round + 1}/${params.runs} ${side}: p99 ${Math.round(figures.p99_interactive_latency_ms as number)} ms, ${Math.round(figures.throughput_tps as number)} tok/s`);
    }
  }
  const kernel = summarize(runs.kernel);
  const peers: Peers = {
    llama_server: peerSkipped ? { skipped: peerSkipped } : summarize(runs.llama_server),
    fcfs_same_slots: summarize(runs.fcfs_same_slots),
    fcfs_1_slot: summarize(runs.fcfs_1_slot),
  };
  const ratios: Record<string, unknown> = {
    ...ratiosAgainst(runs.kernel, runs.llama_server, 'llama_server'),
    ...ratiosAgainst(runs.kernel, runs.fcfs_same_slots, 'fcfs_same_slots'),
    ...ratiosAgainst(runs.kernel, runs.fcfs_1_slot, 'fcfs_1_slot'),
  };
  const extra: Record<string, unknown> = {};
  if (options.args['carry-scenarios']) carryScenarios(options, { kernel, peers, ratios, extra });
  else if (options.args.overload !== 'none') {
    const overload = await runOverload(options, overloadParams(options, params));
    Object.assign(kernel, { mean_completion_s: overload.kernel.mean_completion_s, overload: overload.kernel, overload_nominal: overload.nominal });
    peers.fcfs_same_slots.overload = overload.fcfs_same_slots;
    Object.assign(ratios, overload.ratios);
    extra.overload = overload.params;
  }
  const scenario = options.args['carry-scenarios'] ? null : await toolHeavy(options);
  if (options.args['carry-scenarios']) {
    // carryScenarios filed them.
  } else if (!scenario) extra.tool_heavy = options.args['tool-heavy'] === 'none' ? 'left out (--tool-heavy none)' : 'bench/scheduler-tool-heavy.ts is not there';
  else {
    extra.tool_heavy = scenario.params ?? {};
    kernel.tool_heavy = scenario.kernel ?? {};
    Object.assign(peers, scenario.peers ?? {});
    Object.assign(ratios, scenario.ratios ?? {});
  }
  return {
    name: 'scheduler',
    machine: machineFacts(),
    model: options.modelPath,
    params: {
      ...params,
      gpu: options.gpu,
      threads: options.threads ?? 'default',
      interactive_requests: params.interactiveRequests,
      think_time_ms: { min: params.thinkMinMs, max: params.thinkMaxMs, draw: 'uniform, seeded by user and round: the same on every side and run' },
      load: `closed loop: ${params.interactiveUsers} interactive users, each sending its next request once the previous answer has arrived and its think time has passed, ${params.interactiveRequests} requests a run in all; ${params.backgroundAgents} background agents each run one ${params.backgroundSteps}-step job after another until the last interactive answer, then finish the job they are in`,
      interleaving: 'each run measures every side once, in an order rotated by one side per run; figures are the median and min-max over runs, ratios are ratios of medians',
      sides: {
        kernel: 'fair-share, preemption, working set from slots and KV budget',
        llama_server: 'llama.cpp tools/server, --parallel = slots, same model, threads, step grammar, closed-loop load and prompts: token ids built by the kernel\'s own PromptBuilder and LlmBackend.formatChat (the model\'s chat template where it has one), sent as the /completion prompt; a tool step\'s result is a fixed line (the peer runs no tools)',
        fcfs_same_slots: 'the kernel with its FCFS policy, same slots, no preemption, no working set',
        fcfs_1_slot: 'the kernel with its FCFS policy and one slot: the sequential application-layer baseline',
      },
      prompt_check: promptCheck(runs),
      machine_load_note: `a shared 2-core machine, heavily loaded: a CI run and other engineers' builds and tests ran meanwhile (1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end); the sides are interleaved in rotated order so the load hits each alike, and figures are noisy, hence the runs and spreads`,
      ...extra,
    },
    kernel,
    // The old sequential baseline, kept under its old key for readers of earlier results.
    baseline: peers.fcfs_1_slot,
    peers,
    ratios,
  };
}
