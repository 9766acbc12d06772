/**
 * Event-to-first-handler-token latency with every slot busy, on every side: background agents fill
 * all slots, then webhook events arrive one at a time at jittered moments; the clock runs from the
 * event (the POST, or the peer's request) to the handler's first streamed token. Sides: the kernel
 * (fair share: it preempts a background agent and swaps its KV to RAM), the kernel without
 * preemption (its FCFS policy, the same slots), and llama.cpp's own server (`--parallel` = slots,
 * the same model, threads and step grammar; FCFS, so the request waits for a slot's current
 * generation to end). Each side runs `runs` times, interleaved in a rotated order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kernel, KernelConfig } from '../src-main/kernel/index.js';
import { packageRoot } from '../src-main/settings.js';
import type { ToolManifest } from '../src-shared/index.js';
import { benchKernel, firstTokenAt, machineFacts, medianSpread, percentile, sleep, type BenchOptions, type BenchResult } from './bench-support.js';
import { interruptLatenciesOnLlamaServer } from './peers/interrupts-peer.js';

const busy = {
  id: 'bench-busy',
  name: 'Busy',
  description: 'keeps the model busy',
  systemPrompt: 'You compute a long series of values with the calculator.',
  kind: 'background',
  tools: ['calculator'],
  // A step as long as the handler's answer: an FCFS request waits for at most one such step.
  model: { maxSteps: 1000, maxTokensPerStep: 96, maxAnswerChars: 200 },
};
const HANDLER = 'webhook-triage';
const SLOT_CONTEXT = 2048;
const busyTask = (index: number): string => `Series ${index}`;
/** The handler's task as the kernel's webhook source words it (sources.ts); checked against the kernel's own on every event. */
const handlerTask = (event: number): string => `webhook notify: event ${event}`;

/** Jittered pauses before each event (fixed per run), so events do not land in step with the background steps. */
function gaps(events: number, run: number): number[] {
  let state = 12345 + run;
  return Array.from({ length: events }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 100 + (state % 400);
  });
}

/** Resolves once every pid has streamed a token: the slots are busy, not merely assigned. */
function allStreaming(kernel: Kernel, pids: readonly number[]): Promise<void> {
  const waiting = new Set(pids);
  return new Promise((resolve) => {
    const off = kernel.bus.on((event) => {
      if (event.type === 'proc.output' && waiting.delete(event.pid) && waiting.size === 0) {
        off();
        resolve();
      }
    });
  });
}

interface SideRun {
  latencies: number[];
  swapsOut: number;
}

async function kernelRun(options: BenchOptions, config: Partial<KernelConfig>, slots: number, eventGaps: readonly number[], onTools: (tools: ToolManifest[]) => void): Promise<SideRun> {
  const { kernel, dispose } = await benchKernel(options, { ...config, slots, contextSize: SLOT_CONTEXT });
  try {
    onTools(kernel.listTools());
    kernel.bindInterrupt(HANDLER, undefined, 1000);
    const webhook = kernel.info().webhook!;
    // spawn() returns before any token can stream, so the listener below misses none.
    const workers = Array.from({ length: slots }, (_, i) => kernel.spawn(busy, busyTask(i)).pid);
    await allStreaming(kernel, workers);
    const latencies: number[] = [];
    for (const [event, gap] of eventGaps.entries()) {
      await sleep(gap);
      const dispatched = new Promise<{ pid: number; detail: string }>((resolve) => {
        const off = kernel.bus.on((e) => {
          if (e.type === 'interrupt.raised' && e.outcome === 'dispatched' && e.pid !== null) {
            off();
            resolve({ pid: e.pid, detail: e.detail });
          }
        });
      });
      const sent = performance.now();
      const response = await fetch(`${webhook.url}/hooks/notify`, { method: 'POST', body: `event ${event}`, headers: { authorization: `Bearer ${webhook.token}` } });
      if (!response.ok) throw new Error(`interrupts: the webhook answered ${response.status}`);
      const { pid, detail } = await dispatched;
      // The peer is sent the same task: fail rather than compare different prompts.
      if (detail !== handlerTask(event)) throw new Error(`interrupts: the handler's task is now ${JSON.stringify(detail)}; update handlerTask`);
      latencies.push((await firstTokenAt(kernel, pid)) - sent);
      await kernel.wait(pid);
    }
    const swapsOut = kernel.listProcesses().reduce((sum, p) => sum + p.counters.swapsOut, 0);
    for (const pid of workers) if (kernel.table.get(pid).exit === null) kernel.kill(pid);
    return { latencies, swapsOut };
  } finally {
    await dispose();
  }
}

type Side = 'kernel' | 'kernel_no_preemption' | 'llama_server';

function figures(runs: readonly SideRun[]): Record<string, unknown> {
  const pooled = runs.flatMap((run) => run.latencies);
  return {
    p50_ms: medianSpread(runs.map((run) => percentile(run.latencies, 50))),
    p99_ms: medianSpread(runs.map((run) => percentile(run.latencies, 99))),
    pooled_p50_ms: percentile(pooled, 50),
    pooled_p99_ms: percentile(pooled, 99),
    events: pooled.length,
    swaps_out: runs.reduce((sum, run) => sum + run.swapsOut, 0),
  };
}

export async function run(options: BenchOptions): Promise<BenchResult & { peers: { kernel_no_preemption: Record<string, unknown>; llama_server: Record<string, unknown> } }> {
  const events = Number(options.args.events ?? 4);
  const slots = Number(options.args.slots ?? 2);
  const runs = Number(options.args.runs ?? 5);
  const threads = options.threads ?? 1;
  const sideOptions = { ...options, gpu: 'cpu' as const, threads };
  const fair = { policy: 'fair-share' as const, quantumTokens: 32, swap: 'ram' as const };
  const results: Record<Side, SideRun[]> = { kernel: [], kernel_no_preemption: [], llama_server: [] };
  const order: Side[] = ['kernel', 'kernel_no_preemption', 'llama_server'];
  let tools: ToolManifest[] = [];
  let peerSkipped: string | null = null;
  let commit = '';
  for (let round = 0; round < runs; round++) {
    const eventGaps = gaps(events, round);
    // Rotated: no side always runs first (cold) or last (warm). Round 0 starts with the kernel, which lists the tools the peer's grammar names.
    for (let i = 0; i < order.length; i++) {
      const side = order[(round + i) % order.length]!;
      if (side === 'llama_server') {
        if (peerSkipped) continue;
        const peer = await interruptLatenciesOnLlamaServer(options.modelPath, {
          slots, threads, slotContext: SLOT_CONTEXT, busy, handler: handlerManifest(), busyTask, handlerTask, tools, gapsMs: eventGaps,
        });
        if ('skipped' in peer) peerSkipped = peer.skipped;
        else {
          commit = peer.commit;
          results.llama_server.push({ latencies: peer.latencies, swapsOut: 0 });
        }
      } else {
        const config = side === 'kernel' ? fair : { ...fair, policy: 'fcfs' as const };
        results[side].push(await kernelRun(sideOptions, { scheduler: config }, slots, eventGaps, (list) => (tools = list)));
      }
      const last = results[side].at(-1);
      if (last) console.error(`interrupts: run ${round + 1}/${runs} ${side}: p50 ${Math.round(percentile(last.latencies, 50))} ms, max ${Math.round(Math.max(...last.latencies))} ms`);
    }
  }
  const kernel = figures(results.kernel);
  const noPreemption = figures(results.kernel_no_preemption);
  const llama = peerSkipped ? null : figures(results.llama_server);
  const median = (side: Record<string, unknown>, key: string): number => (side[key] as { median: number }).median;
  const vs = (peer: Record<string, unknown>, name: string): Record<string, number> => ({
    [`p50_latency_vs_${name}`]: median(peer, 'p50_ms') / median(kernel, 'p50_ms'),
    [`p99_latency_vs_${name}`]: median(peer, 'p99_ms') / median(kernel, 'p99_ms'),
  });
  return {
    name: 'interrupts',
    machine: machineFacts(),
    model: options.modelPath,
    params: {
      events_per_run: events,
      runs,
      slots,
      busy_agents: slots,
      busy_max_tokens_per_step: busy.model.maxTokensPerStep,
      threads,
      gpu: 'cpu',
      slot_context: SLOT_CONTEXT,
      handler: HANDLER,
      slot_state: 'every slot busy with a background agent on every side when each event arrives',
      p99_note: `p99_ms is per run (with ${events} events it is the run's maximum), reported as median and min-max over runs; pooled_p99_ms pools all ${events * runs} events`,
      interleaving: 'each run measures every side once, in an order rotated by one side per run; ratios are ratios of the medians (peer ÷ kernel: > 1 means the kernel answers sooner)',
      peers: {
        kernel_no_preemption: 'the kernel with its FCFS policy and the same slots: the handler waits for a slot',
        llama_server: 'llama.cpp tools/server, --parallel = slots, same model, threads, step grammar and prompts (plain-text prompts, no chat template); the request waits for a slot (FCFS)',
      },
      machine_load_note: 'measured on a shared 2-core machine while other engineers built and tested: timings are noisy',
      // A fact about the llama_server peer, not a side: kept out of peers so the report shows only sides there.
      ...(commit ? { llama_server_commit: commit } : {}),
    },
    kernel,
    peers: {
      kernel_no_preemption: noPreemption,
      llama_server: llama ?? { skipped: peerSkipped },
    },
    baseline: { p50_ms: median(noPreemption, 'p50_ms'), p99_ms: median(noPreemption, 'p99_ms'), kind: 'the kernel without preemption (see peers.kernel_no_preemption)' },
    ratios: {
      ...(llama ? vs(llama, 'llama_server') : {}),
      ...vs(noPreemption, 'kernel_no_preemption'),
    },
  };
}

/** The gallery's handler manifest, as the kernel loads it. */
function handlerManifest(): unknown {
  return JSON.parse(readFileSync(join(packageRoot(), 'assets', 'gallery', `${HANDLER}.json`), 'utf8'));
}
