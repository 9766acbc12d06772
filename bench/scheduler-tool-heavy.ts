/**
 * A tool-heavy scheduler workload, for swap by idleness against swap on demand (issue 16 item 5).
 * Background agents spend most of their life in tool calls: `http_get` (the real Wasm tool, through
 * a `net:` grant) against a loopback server that answers each request after 50–2,000 ms. Meanwhile
 * interactive requests arrive. Each side (the kernel with `swapPolicy: 'idle'`, and the same kernel
 * swapping only on demand) runs `runs` times, interleaved, so machine load hits both; each figure is
 * the median over runs with its min–max.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kernel } from '../src-main/kernel/index.js';
import type { KernelEvent } from '../src-shared/index.js';
import { benchKernel, firstTokenAt, medianSpread, percentile, sleep, type BenchOptions } from './bench-support.js';

interface ToolHeavyParams {
  runs: number;
  slots: number;
  toolAgents: number;
  toolSteps: number;
  toolMinMs: number;
  toolMaxMs: number;
  interactiveRequests: number;
  requestIntervalMs: number;
  quantumTokens: number;
}

const fetcher = (port: number, steps: number) => ({
  id: 'bench-fetcher',
  name: 'Fetcher',
  description: 'fetches pages one after another',
  systemPrompt:
    `You fetch pages with http_get, one call per step, following each page's link to the next. Example: {"type":"tool","tool":"http_get","args":{"url":"http://127.0.0.1:${port}/page/1"}}` +
    '. When a page says there is no next page, answer with what the pages said in a few words.',
  kind: 'background',
  tools: ['http_get'],
  model: { maxSteps: steps + 1, toolSteps: steps, maxTokensPerStep: 96, maxAnswerChars: 80 },
});

const interactive = {
  id: 'bench-interactive',
  name: 'Interactive request',
  description: 'a short request',
  systemPrompt: 'Answer the user in one short sentence.',
  kind: 'interactive',
  tools: [],
  model: { maxSteps: 1, maxTokensPerStep: 32, maxAnswerChars: 60 },
};

const fetchTask = (port: number, agent: number): string => `Fetch http://127.0.0.1:${port}/agent${agent}/page1, then the next page it names.`;

/** A small deterministic generator, so both sides see the same tool delays in the same order. */
function delays(seed: number, min: number, max: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // Log-uniform between min and max: most calls are quick, a few are slow, as tool latencies are.
    return Math.round(min * (max / min) ** (state / 2 ** 32));
  };
}

/**
 * The tool's far end: answers any GET after the next delay of the run's sequence, naming the next
 * page (a small model follows a link it is given; asked to fetch a list, it repeats the first).
 */
async function slowServer(next: () => number, pages: number): Promise<{ server: Server; port: number; served: () => number }> {
  let served = 0;
  let port = 0;
  const server = createServer((request, response) => {
    const wait = next();
    const url = request.url ?? '/';
    const page = Number(/page(\d+)/.exec(url)?.[1] ?? pages);
    const body = page >= pages ? 'This is the last page: there is no next page.' : `Next page: http://127.0.0.1:${port}${url.replace(/page\d+/, `page${page + 1}`)}`;
    setTimeout(() => {
      served++;
      response.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    }, wait);
  });
  server.on('error', (error) => console.error(`scheduler-tool-heavy: loopback server: ${error.message}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return { server, port, served: () => served };
}

/**
 * Milliseconds from each tool result to the agent's next token (how long a waking agent waits for
 * the model), and how many swaps out happened while no process was asking for a slot (ahead of need).
 */
function watch(kernel: Kernel): { wakes: () => number[]; aheadOfNeed: () => number } {
  const resultAt = new Map<number, number>();
  const waits: number[] = [];
  const ready = new Set<number>();
  let ahead = 0;
  kernel.bus.on((event: KernelEvent) => {
    if (event.type === 'proc.state') {
      if (event.state === 'ready') ready.add(event.pid);
      else ready.delete(event.pid);
    } else if (event.type === 'sched.swap' && event.direction === 'out' && event.ok && ready.size === 0) ahead++;
    else if (event.type === 'proc.tool-result') resultAt.set(event.pid, performance.now());
    else if (event.type === 'proc.output' && resultAt.has(event.pid)) {
      waits.push(performance.now() - resultAt.get(event.pid)!);
      resultAt.delete(event.pid);
    }
  });
  return { wakes: () => waits, aheadOfNeed: () => ahead };
}

async function oneRun(options: BenchOptions, params: ToolHeavyParams, swapPolicy: 'idle' | 'on-demand', run: number) {
  const tool = await slowServer(delays(0x5eed + run, params.toolMinMs, params.toolMaxMs), params.toolSteps);
  const { kernel, dispose } = await benchKernel(options, {
    slots: params.slots,
    scheduler: { policy: 'fair-share', quantumTokens: params.quantumTokens, swap: 'ram', swapPolicy },
  });
  try {
    await kernel.sandbox.grant('bench-fetcher', 'http_get', `net:127.0.0.1:${tool.port}`, 'session');
    const watched = watch(kernel);
    const started = performance.now();
    const agents = Array.from({ length: params.toolAgents }, (_, i) => kernel.spawn(fetcher(tool.port, params.toolSteps), fetchTask(tool.port, i)).pid);
    const requests: Promise<{ ttftMs: number; latencyMs: number }>[] = [];
    for (let i = 0; i < params.interactiveRequests; i++) {
      await sleep(params.requestIntervalMs);
      const sent = performance.now();
      const { pid } = kernel.spawn(interactive, `Request ${i}: say hello to user ${i}.`);
      const first = firstTokenAt(kernel, pid);
      requests.push(kernel.wait(pid).then(async () => ({ ttftMs: (await first) - sent, latencyMs: performance.now() - sent })));
    }
    const answered = await Promise.all(requests);
    await Promise.all(agents.map((pid) => kernel.wait(pid)));
    const wallMs = performance.now() - started;
    const all = kernel.listProcesses();
    const tokens = all.reduce((sum, p) => sum + p.counters.tokensOut, 0);
    const ttft = answered.map((a) => a.ttftMs);
    return {
      wall_ms: wallMs,
      throughput_tps: tokens / (wallMs / 1000),
      ttft_mean_ms: mean(ttft),
      ttft_p50_ms: percentile(ttft, 50),
      ttft_p99_ms: percentile(ttft, 99),
      latency_mean_ms: mean(answered.map((a) => a.latencyMs)),
      tool_wake_mean_ms: mean(watched.wakes()),
      tool_calls: all.reduce((sum, p) => sum + p.counters.toolCalls, 0),
      tool_calls_served: tool.served(),
      swaps_out: all.reduce((sum, p) => sum + p.counters.swapsOut, 0),
      swaps_in: all.reduce((sum, p) => sum + p.counters.swapsIn, 0),
      swaps_ahead_of_need: watched.aheadOfNeed(),
    };
  } finally {
    await dispose();
    tool.server.closeAllConnections();
    await new Promise((resolve) => tool.server.close(resolve));
  }
}

const mean = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length);

type RunFigures = Awaited<ReturnType<typeof oneRun>>;

/** Each key's median and min–max over the runs. */
function summarise(runs: readonly RunFigures[]): Record<string, unknown> {
  const keys = Object.keys(runs[0]!) as (keyof RunFigures)[];
  return Object.fromEntries(keys.map((key) => [key, medianSpread(runs.map((run) => run[key]))]));
}

export async function runToolHeavyScenario(options: BenchOptions): Promise<{
  kernel: Record<string, unknown>;
  peers: { swap_on_demand: Record<string, unknown> };
  ratios: Record<string, number>;
  params: Record<string, unknown>;
}> {
  const params: ToolHeavyParams = {
    runs: Math.max(1, Number(options.args['tool-heavy-runs'] ?? 5)),
    slots: Number(options.args['tool-heavy-slots'] ?? 2),
    toolAgents: Number(options.args['tool-agents'] ?? 2),
    toolSteps: Number(options.args['tool-steps'] ?? 3),
    toolMinMs: 50,
    toolMaxMs: 2000,
    // Requests further apart than one takes to serve: the model has slack, so slots sit with idle
    // residents when a request arrives (the case swap by idleness is for); closer, the model is the
    // bottleneck and both policies just queue.
    interactiveRequests: Number(options.args['tool-heavy-requests'] ?? 5),
    requestIntervalMs: Number(options.args['tool-heavy-interval'] ?? 4000),
    quantumTokens: Number(options.args.quantum ?? 32),
  };
  const idle: RunFigures[] = [];
  const onDemand: RunFigures[] = [];
  for (let run = 0; run < params.runs; run++) {
    // Interleaved, and the order turned each run, so neither side always runs on a warmer machine.
    const order = run % 2 === 0 ? (['idle', 'on-demand'] as const) : (['on-demand', 'idle'] as const);
    for (const side of order) {
      const figures = await oneRun(options, params, side, run);
      (side === 'idle' ? idle : onDemand).push(figures);
      console.error(`scheduler-tool-heavy: run ${run + 1}/${params.runs} ${side}: ttft ${figures.ttft_mean_ms.toFixed(0)} ms, ${figures.throughput_tps.toFixed(1)} tok/s`);
    }
  }
  const kernel = summarise(idle);
  const peer = summarise(onDemand);
  const median = (figures: Record<string, unknown>, key: string): number => (figures[key] as { median: number }).median;
  return {
    kernel: { swap_policy: 'idle', ...kernel },
    peers: { swap_on_demand: { swap_policy: 'on-demand', ...peer } },
    ratios: {
      // > 1: interactive requests see their first token sooner with idle swap (mean TTFT, median over runs).
      ttft_vs_swap_on_demand: median(peer, 'ttft_mean_ms') / median(kernel, 'ttft_mean_ms'),
      throughput_vs_swap_on_demand: median(kernel, 'throughput_tps') / median(peer, 'throughput_tps'),
      tool_wake_vs_swap_on_demand: median(peer, 'tool_wake_mean_ms') / median(kernel, 'tool_wake_mean_ms'),
    },
    params: {
      ...params,
      tool: 'http_get (Wasm, net: grant) against a loopback server answering after 50-2,000 ms (log-uniform, seeded per run)',
      interactive_requests_per_run: params.interactiveRequests,
      threads: options.threads ?? 'default',
      gpu: options.gpu,
      machine_load_note: 'measured on a shared 2-core machine with other work running: absolute figures are noisy; sides interleaved',
    },
  };
}
