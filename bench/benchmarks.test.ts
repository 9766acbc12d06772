import { describe, expect, it } from 'vitest';
import { testModelPath } from '../src-main/test-support/fixtures.js';
import type { BenchOptions } from './bench-support.js';
import { findLlamaServer, PEER_MISSING } from './peers/llama-server.js';
import { run as runInterrupts } from './interrupts.bench.js';
import { run as runScheduler } from './scheduler.bench.js';

/**
 * Smoke runs with tiny workloads: the benchmarks keep working and report the keys their issues name.
 * No timing is judged here. Each run is bounded work (a few steps of the tiny model, a few LanceDB
 * writes); on a loaded 2-core machine that can take minutes, so the limit is a hang guard only.
 */
const SMOKE_LIMIT_MS = 300_000;
const options = (args: BenchOptions['args']): BenchOptions => ({ modelPath: testModelPath(), gpu: 'cpu', threads: 1, args });

describe('benchmarks', { timeout: SMOKE_LIMIT_MS }, () => {
  it('scheduler reports throughput, P99 latency and fairness for kernel and baseline', async () => {
    const result = await runScheduler(options({ requests: '1', steps: '1', interval: '50' }));
    expect(result.name).toBe('scheduler');
    expect(result.ratios.throughput).toBeGreaterThan(0);
    expect(result.ratios.p99_interactive_latency).toBeGreaterThan(0);
    expect(result.kernel.jain_fairness).toBeGreaterThan(0);
    expect(result.kernel.jain_fairness).toBeLessThanOrEqual(1);
    expect(result.baseline.throughput_tps).toBeGreaterThan(0);
    // llama-server is the peer when `npm run peers:build` has been run; otherwise the key says how to build it.
    const peer = result.peers.llama_server;
    if (findLlamaServer()) {
      expect(peer.throughput_tps).toBeGreaterThan(0);
      expect(peer.interactive_requests).toBe(2);
      expect(result.ratios.p99_interactive_latency_vs_llama_server).toBeGreaterThan(0);
      expect(result.ratios.throughput_vs_llama_server).toBeGreaterThan(0);
    } else {
      expect(peer).toEqual({ skipped: PEER_MISSING });
      expect(result.ratios).not.toHaveProperty('throughput_vs_llama_server');
    }
  });

  it('interrupts reports P50 and P99 event-to-first-token latency', async () => {
    const result = await runInterrupts(options({ events: '2' }));
    expect(result.kernel.p50_ms).toBeGreaterThan(0);
    expect(result.kernel.p99_ms).toBeGreaterThanOrEqual(result.kernel.p50_ms as number);
    expect((result.kernel.swap_needed as { swaps_out: number }).swaps_out).toBeGreaterThan(0);
  });
});

describe('sandbox benchmark', { timeout: SMOKE_LIMIT_MS }, () => {
  it('reports the call against its peers through the same syscall path, instantiation, install and cold call', async () => {
    const { run } = await import('./sandbox.bench.js');
    const result = await run(options({ rounds: '1', calls: '3', fresh: '1', processes: '1' }));
    expect(result.kernel.instantiate_ms).toMatchObject({ median: expect.any(Number), rounds: 1 });
    expect(typeof result.kernel.call_overhead_us).toBe('number');
    expect(result.kernel.install_ms).toBeGreaterThan(0);
    expect(result.kernel.cold_call_ms).toBeGreaterThan(0);
    expect(result.ratios.call_vs_warm_process).toBeGreaterThan(0);
    expect(result.ratios.call_vs_fresh_instance).toBeGreaterThan(0);
    expect(result.baseline.call_ms).toBeGreaterThan(0);
    expect(result.ratios.process_vs_wasm_call).toBeGreaterThan(0);
  });
});

describe('kv benchmark', { timeout: SMOKE_LIMIT_MS }, () => {
  it('reports the handoff speedup, the resume speedup and KV density per type', async () => {
    const { run } = await import('./kv.bench.js');
    const result = await run(options({ lengths: '256' }));
    expect(result.ratios.handoff_ttft_speedup_at_max).toBeGreaterThan(0);
    expect(result.ratios.resume_speedup).toBeGreaterThan(0);
    expect(result.ratios.density_q4_0_vs_f16).toBeGreaterThan(result.ratios.density_q8_0_vs_f16 as number);
  });
});

describe('memory benchmark', { timeout: SMOKE_LIMIT_MS }, () => {
  it('reports recall@k and in-context share for the kernel and the truncation baseline, and paging against re-prefill time', async () => {
    const { run } = await import('./memory.bench.js');
    const result = await run(options({ facts: '3', factor: '10' }));
    expect(result.params.window_multiple).toBeGreaterThanOrEqual(10);
    for (const side of [result.kernel, result.baseline]) {
      expect(side.recall_at_k).toBeGreaterThanOrEqual(0);
      expect(side.in_context_share).toBeLessThanOrEqual(1);
    }
    expect(result.ratios.page_out_vs_reprefill_time).toBeGreaterThan(0);
  });
});
