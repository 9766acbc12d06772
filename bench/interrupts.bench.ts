/**
 * Event-to-first-handler-token latency: a webhook interrupt is posted while background agents
 * decode; the clock runs from the POST to the handler's first streamed token. Two cases: a slot
 * is free, and every slot is busy so a victim must be preempted and its KV swapped out. The
 * baseline is the same events under FCFS with no preemption (the handler waits its turn).
 */
import type { Kernel, KernelConfig } from '../src-main/kernel/index.js';
import { benchKernel, firstTokenAt, machineFacts, percentile, sleep, type BenchOptions, type BenchResult } from './bench-support.js';

const busy = {
  id: 'bench-busy',
  name: 'Busy',
  description: 'keeps the model busy',
  systemPrompt: 'You compute a long series of values with the calculator.',
  kind: 'background',
  tools: ['calculator'],
  model: { maxSteps: 1000, maxTokensPerStep: 160, maxAnswerChars: 200 },
};

async function latencies(kernel: Kernel, events: number, busyAgents: number): Promise<number[]> {
  kernel.bindInterrupt('webhook-triage', undefined, 1000);
  const webhook = kernel.info().webhook!;
  const workers = Array.from({ length: busyAgents }, (_, i) => kernel.spawn(busy, `Series ${i}`).pid);
  await sleep(200);
  const results: number[] = [];
  for (let i = 0; i < events; i++) {
    const handlerPid = new Promise<number>((resolve) => {
      const off = kernel.bus.on((event) => {
        if (event.type === 'interrupt.raised' && event.outcome === 'dispatched' && event.pid !== null) {
          off();
          resolve(event.pid);
        }
      });
    });
    const sent = performance.now();
    await fetch(`${webhook.url}/hooks/notify`, { method: 'POST', body: `event ${i}`, headers: { authorization: `Bearer ${webhook.token}` } });
    const pid = await handlerPid;
    results.push((await firstTokenAt(kernel, pid)) - sent);
    await kernel.wait(pid);
    await sleep(50);
  }
  for (const pid of workers) if (kernel.table.get(pid).exit === null) kernel.kill(pid);
  return results;
}

async function measure(options: BenchOptions, config: Partial<KernelConfig>, events: number, busyAgents: number) {
  const { kernel, dispose } = await benchKernel(options, config);
  try {
    const values = await latencies(kernel, events, busyAgents);
    const swaps = kernel.listProcesses().reduce((sum, p) => sum + p.counters.swapsOut, 0);
    return { p50_ms: percentile(values, 50), p99_ms: percentile(values, 99), events: values.length, swaps_out: swaps };
  } finally {
    await dispose();
  }
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const events = Number(options.args.events ?? 20);
  const slots = Number(options.args.slots ?? 2);
  const fair = { policy: 'fair-share' as const, quantumTokens: 32, swap: 'ram' as const };
  const free = await measure(options, { slots, scheduler: fair }, events, slots - 1);
  const swap = await measure(options, { slots, scheduler: fair }, events, slots);
  const baseline = await measure(options, { slots, scheduler: { ...fair, policy: 'fcfs' } }, events, slots);
  return {
    name: 'interrupts',
    machine: machineFacts(),
    model: options.modelPath,
    params: { events, slots, gpu: options.gpu, threads: options.threads ?? 'default', handler: 'webhook-triage', baseline: 'fcfs, all slots busy, no preemption' },
    kernel: { p50_ms: free.p50_ms, p99_ms: free.p99_ms, slots_free: free, swap_needed: swap },
    baseline: { p50_ms: baseline.p50_ms, p99_ms: baseline.p99_ms, all_slots_busy: baseline },
    ratios: {
      p50_speedup_swap_needed: baseline.p50_ms / swap.p50_ms,
      p99_speedup_swap_needed: baseline.p99_ms / swap.p99_ms,
      swap_needed_vs_slots_free_p50: swap.p50_ms / free.p50_ms,
    },
  };
}
