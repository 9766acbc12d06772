/**
 * Cores: the same agent workload through the kernel on one and on two llama-server cores (one
 * thread each), and the failover run: two cores, `kill -9` of one mid-generation, its agents moved
 * to the other and finished from their journaled steps. Runs are interleaved (1 core, 2 cores,
 * failover, then again) so the load of a shared machine hits every side alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kernel } from '../src-main/kernel/index.js';
import { handleKernelRequest } from '../src-main/kernel/index.js';
import type { CoreInfo, ProcessInfo, TranscriptEntry } from '../src-shared/index.js';
import { benchKernel, machineFacts, medianSpread, type BenchOptions, type BenchResult } from './bench-support.js';
import { findLlamaServer, LlamaServer, PEER_MISSING, type LlamaServerPeer } from './peers/llama-server.js';

interface Params {
  runs: number;
  agents: number;
  steps: number;
  /** `--parallel` of each llama-server core. */
  slotsPerCore: number;
  tokensPerStep: number;
  slotContext: number;
}

/** A hang guard on one agent, not a timing judgement: a stuck failover must end the run with a reason. */
const AGENT_LIMIT_MS = 600_000;
const CORE_NAMES = ['core-a', 'core-b'] as const;

const agent = (params: Params) => ({
  id: 'bench-cores',
  name: 'Cores job',
  description: 'a job of a few calculator steps',
  systemPrompt: 'You compute a series of values with the calculator.',
  kind: 'background',
  tools: ['calculator'],
  model: { maxSteps: params.steps, maxTokensPerStep: params.tokensPerStep, maxAnswerChars: 200 },
});
const task = (job: number): string => `Job ${job}: compute 7 * ${job + 11}, then add ${job}.`;

/** One llama-server "machine" on loopback: its own slot-save folder, one thread. */
interface Machine {
  server: LlamaServer;
  saveDir: string;
}

async function startMachine(peer: LlamaServerPeer, options: BenchOptions, params: Params): Promise<Machine> {
  const saveDir = mkdtempSync(join(tmpdir(), 'amk-bench-core-'));
  const server = await LlamaServer.start(peer, {
    modelPath: options.modelPath,
    slots: params.slotsPerCore,
    threads: 1,
    slotContext: params.slotContext,
    extraArgs: ['--slot-save-path', saveDir],
  });
  return { server, saveDir };
}

async function stopMachine(machine: Machine): Promise<void> {
  await machine.server.stop();
  rmSync(machine.saveDir, { recursive: true, force: true });
}

/**
 * A kernel whose agents run on the given machines only: the local model stays loaded (the kernel
 * tokenizes and builds prompts with it) but lends no slots, so every token comes from a core.
 */
async function kernelOn(options: BenchOptions, machines: readonly Machine[]): Promise<{ kernel: Kernel; dispose: () => Promise<void> }> {
  const booted = await benchKernel({ ...options, threads: 1 }, { slots: 1, localCore: false });
  try {
    for (const [index, machine] of machines.entries()) {
      const core = (await handleKernelRequest(booted.kernel, 'cores.add', { name: CORE_NAMES[index]!, kind: 'llama-server', url: `http://127.0.0.1:${machine.server.port}` })) as CoreInfo;
      if (core.health !== 'up') throw new Error(`cores: ${core.name} is ${core.health}: ${core.reason ?? 'no reason given'}`);
    }
  } catch (error) {
    await booted.dispose();
    throw error;
  }
  return booted;
}

const tokensOf = (kernel: Kernel, pids: readonly number[]): number =>
  kernel.listProcesses().filter((info) => pids.includes(info.pid)).reduce((sum, info) => sum + info.counters.tokensOut, 0);

/** The workload's output tokens per second of wall time, on the kernel's cores. */
async function throughput(options: BenchOptions, params: Params, machines: readonly Machine[]): Promise<number> {
  const { kernel, dispose } = await kernelOn(options, machines);
  try {
    const started = performance.now();
    const pids = Array.from({ length: params.agents }, (_, job) => kernel.spawn(agent(params), task(job)).pid);
    await Promise.all(pids.map((pid) => kernel.wait(pid, AGENT_LIMIT_MS)));
    return tokensOf(kernel, pids) / ((performance.now() - started) / 1000);
  } finally {
    await dispose();
  }
}

/**
 * Each decided step (a tool call, an answer, or a rejected step) once, numbered 1, 2, … with none
 * missing: the transcript a moved agent must keep. Returns how many steps were decided, or null.
 */
export function decidedSteps(entries: readonly TranscriptEntry[]): number | null {
  const steps = entries.flatMap((entry) => (entry.kind === 'tool-call' || entry.kind === 'answer' || entry.kind === 'rejected' ? [entry.step] : []));
  const sorted = [...new Set(steps)].sort((a, b) => a - b);
  if (sorted.length !== steps.length || !sorted.every((step, index) => step === index + 1)) return null;
  return sorted.length;
}

/**
 * Ran to its own end after the move: an answer (exit 0), or every step it was allowed (exit 2,
 * which the tiny model, writing nonsense, always reaches), with its transcript intact.
 */
function finishedWhole(info: ProcessInfo, entries: readonly TranscriptEntry[], maxSteps: number): boolean {
  const decided = decidedSteps(entries);
  if (decided === null || info.state !== 'exited') return false;
  return info.exit?.code === 0 || (info.exit?.code === 2 && decided === maxSteps);
}

interface FailoverRun {
  moved: number;
  completed: number;
  /** Per moved agent: ms from the kill to its first token on another core. */
  firstTokenMs: number[];
}

/** Two cores, the workload, and `kill -9` of core-b once an agent there is generating. */
async function failover(options: BenchOptions, params: Params, machines: readonly [Machine, Machine]): Promise<FailoverRun> {
  const { kernel, dispose } = await kernelOn(options, machines);
  const victim = CORE_NAMES[1];
  try {
    const coreOf = (pid: number): string | null => kernel.listProcesses().find((info) => info.pid === pid)?.core ?? null;
    // The kill waits for a token generated on the victim: then it dies mid-generation, not idle.
    const generatingThere = new Promise<void>((resolve) => {
      const off = kernel.bus.on((event) => {
        if (event.type === 'proc.output' && coreOf(event.pid) === victim) {
          off();
          resolve();
        }
      });
    });
    const pids = Array.from({ length: params.agents }, (_, job) => kernel.spawn(agent(params), task(job)).pid);
    const finished = Promise.all(pids.map((pid) => kernel.wait(pid, AGENT_LIMIT_MS)));
    await generatingThere;
    // Who is there is read before the kill: once its requests fail the kernel places them elsewhere at once.
    const moved = kernel.listProcesses().filter((info) => pids.includes(info.pid) && info.core === victim && info.exitedAt === null).map((info) => info.pid);
    const killedAt = performance.now();
    const dead = machines[1].server.killNow();
    const firstTokenMs = new Map<number, number>();
    const off = kernel.bus.on((event) => {
      if (event.type !== 'proc.output' || !moved.includes(event.pid) || firstTokenMs.has(event.pid)) return;
      const core = coreOf(event.pid);
      if (core !== null && core !== victim) firstTokenMs.set(event.pid, performance.now() - killedAt);
    });
    await dead;
    const exits = await finished;
    off();
    const completed = exits.filter((info) => moved.includes(info.pid) && finishedWhole(info, kernel.transcript(info.pid), params.steps)).length;
    return { moved: moved.length, completed, firstTokenMs: [...firstTokenMs.values()] };
  } finally {
    await dispose();
  }
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const params: Params = {
    runs: Number(options.args.runs ?? 5),
    agents: Number(options.args.agents ?? 4),
    steps: Number(options.args.steps ?? 2),
    slotsPerCore: Number(options.args.slots ?? 2),
    tokensPerStep: Number(options.args.tokens ?? 96),
    slotContext: 2048,
  };
  const peer = findLlamaServer();
  if (!peer) throw new Error(`cores: ${PEER_MISSING}`);

  const one: number[] = [];
  const two: number[] = [];
  const failovers: FailoverRun[] = [];
  let machines: [Machine, Machine] = [await startMachine(peer, options, params), await startMachine(peer, options, params)];
  try {
    for (let round = 0; round < params.runs; round++) {
      one.push(await throughput(options, params, [machines[0]]));
      two.push(await throughput(options, params, machines));
      failovers.push(await failover(options, params, machines));
      // The killed machine comes back as a fresh server (new port) for the next round.
      await stopMachine(machines[1]);
      machines = [machines[0], await startMachine(peer, options, params)];
      console.error(`cores: round ${round + 1}/${params.runs}: ${one.at(-1)!.toFixed(1)} vs ${two.at(-1)!.toFixed(1)} tok/s; failover moved ${failovers.at(-1)!.moved}, completed ${failovers.at(-1)!.completed}`);
    }
  } finally {
    await Promise.all(machines.map(stopMachine));
  }

  const oneCore = medianSpread(one);
  const twoCores = medianSpread(two);
  const firstTokens = failovers.flatMap((entry) => entry.firstTokenMs);
  return {
    name: 'cores',
    machine: machineFacts(),
    model: options.modelPath,
    params: {
      ...params,
      threads_per_core: 1,
      local_core: 'loaded for tokenizing and prompts, lends no slots: every token comes from a llama-server core',
      peer: `llama.cpp tools/server (commit ${peer.commit}), --parallel ${params.slotsPerCore}, --threads 1, --slot-save-path, on loopback`,
      failover: 'two cores; kill -9 of core-b once an agent generates there; failover_ms: from the kill to each moved agent first token on core-a',
      machine_load_note: 'a 2-core machine shared with other engineers at the time: figures are noisy; two 1-thread cores cannot exceed the 2 CPUs',
    },
    kernel: {
      throughput_tps_1_core: oneCore.median,
      throughput_tps_1_core_spread: oneCore,
      throughput_tps_2_cores: twoCores.median,
      throughput_tps_2_cores_spread: twoCores,
      failover_agents: failovers.reduce((sum, entry) => sum + entry.moved, 0),
      failover_completed: failovers.reduce((sum, entry) => sum + entry.completed, 0),
      failover_ms: firstTokens.length > 0 ? medianSpread(firstTokens).median : null,
      failover_ms_spread: firstTokens.length > 0 ? medianSpread(firstTokens) : null,
    },
    baseline: {},
    ratios: {
      // > 1: two cores serve more tokens a second than one.
      throughput_2_vs_1_cores: twoCores.median / oneCore.median,
    },
  };
}
