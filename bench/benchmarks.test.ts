import { describe, expect, it } from 'vitest';
import { testChatModelPath, testModelPath } from '../src-main/test-support/fixtures.js';
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
  it('scheduler reports every side with spread, ratios against each peer, and the overload scenario', async () => {
    const result = await runScheduler(
      options({ runs: '1', users: '2', requests: '2', 'think-min': '10', 'think-max': '20', agents: '2', steps: '1', 'overload-agents': '12', 'overload-nominal': '4', 'overload-requests': '2', 'overload-interval': '20', 'tool-heavy': 'none' }),
    );
    expect(result.name).toBe('scheduler');
    expect(result.params).toMatchObject({ runs: 1, interactive_requests: 2 });
    // Closed loop: every request is answered; the background agents ran at least one job each.
    expect((result.kernel.background_jobs as number)).toBeGreaterThanOrEqual(2);
    for (const side of [result.kernel, result.peers.fcfs_same_slots, result.peers.fcfs_1_slot]) {
      expect(side.throughput_tps).toMatchObject({ median: expect.any(Number), min: expect.any(Number), max: expect.any(Number), runs: 1 });
      expect((side.p99_interactive_latency_ms as { median: number }).median).toBeGreaterThan(0);
    }
    for (const peer of ['fcfs_same_slots', 'fcfs_1_slot']) {
      expect(result.ratios[`throughput_vs_${peer}`]).toBeGreaterThan(0);
      expect(result.ratios[`p99_interactive_latency_vs_${peer}`]).toBeGreaterThan(0);
    }
    const jain = result.kernel.jain_fairness as number; // a median: only the headline figures carry a spread
    expect(jain).toBeGreaterThan(0);
    expect(jain).toBeLessThanOrEqual(1);
    // Overload: every agent finishes on both sides; the kernel's working set is the derived one, FCFS has none.
    const overload = result.kernel.overload as Record<string, unknown>;
    expect(overload).toMatchObject({ agents: 12, interactive_requests: 2, working_set: 8 });
    expect((result.peers.fcfs_same_slots.overload as Record<string, unknown>).working_set).toBe('unlimited');
    expect(result.kernel.mean_completion_s).toBeGreaterThan(0);
    expect(result.ratios.mean_completion_vs_fcfs_same_slots).toBeGreaterThan(0);
    expect(result.ratios.throughput_overload_vs_nominal).toBeGreaterThan(0);
    // llama-server is the peer when `npm run peers:build` has been run; otherwise the key says how to build it.
    const peer = result.peers.llama_server;
    if (findLlamaServer()) {
      expect((peer.throughput_tps as { median: number }).median).toBeGreaterThan(0);
      expect(peer.interactive_requests).toBe(2);
      // Like-for-like prompts: llama-server counted as many prompt tokens as the kernel evaluated.
      expect((result.params.prompt_check as { same: boolean }).same).toBe(true);
      expect(result.ratios.p99_interactive_latency_vs_llama_server).toBeGreaterThan(0);
      expect(result.ratios.throughput_vs_llama_server).toBeGreaterThan(0);
    } else {
      expect(peer).toEqual({ skipped: PEER_MISSING });
      expect(result.ratios).not.toHaveProperty('throughput_vs_llama_server');
    }
  });

  it('interrupts reports event-to-first-token latency with every slot busy on every side, against each peer', async () => {
    const result = await runInterrupts(options({ events: '2', runs: '1', slots: '1' }));
    const spread = { median: expect.any(Number), min: expect.any(Number), max: expect.any(Number), runs: 1 };
    expect(result.kernel).toMatchObject({ p50_ms: spread, p99_ms: spread, events: 2 });
    // All slots busy: the kernel swapped a background agent out for the handler.
    expect(result.kernel.swaps_out).toBeGreaterThan(0);
    expect(result.peers.kernel_no_preemption).toMatchObject({ p50_ms: spread, events: 2 });
    expect(result.ratios.p50_latency_vs_kernel_no_preemption).toBeGreaterThan(0);
    expect(result.ratios.p99_latency_vs_kernel_no_preemption).toBeGreaterThan(0);
    if (findLlamaServer()) {
      expect(result.peers.llama_server).toMatchObject({ p50_ms: spread, events: 2 });
      expect(result.ratios.p50_latency_vs_llama_server).toBeGreaterThan(0);
      expect(result.ratios.p99_latency_vs_llama_server).toBeGreaterThan(0);
    } else {
      expect(result.peers.llama_server).toEqual({ skipped: PEER_MISSING });
      expect(result.ratios).not.toHaveProperty('p50_latency_vs_llama_server');
    }
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
  it('reports handoff and resume against re-prefill with their spread, and f16 density only on a head-dim-8 model', async () => {
    const { run } = await import('./kv.bench.js');
    const result = await run(options({ lengths: '128', runs: '2', budgetMiB: '2', contextPerAgent: '512' }));
    expect(result.ratios.handoff_ttft_vs_reprefill).toBeGreaterThan(0);
    expect(result.ratios.resume_ttft_vs_reprefill).toBeGreaterThan(0);
    expect(result.kernel.resume_ttft_ms).toMatchObject({ median: expect.any(Number), runs: 2 });
    expect(result.peers.reprefill.resume_ttft_ms).toMatchObject({ median: expect.any(Number), runs: 2 });
    // The tiny model cannot hold a quantized cache: f16 is filled, and the params say why the others are not.
    expect(result.kernel.agents_per_budget).toEqual({ f16: expect.any(Number) });
    expect((result.kernel.agents_per_budget as { f16: number }).f16).toBeGreaterThan(0);
    expect(result.params.quantized_kv_note).toMatch(/head dimension 8/);
    expect(result.ratios).not.toHaveProperty('density_q4_0_vs_f16');
  });

  it('fills a KV budget on the real model with more q8_0 agents than f16, and more q4_0 than q8_0', async () => {
    const { fillBudget } = await import('./kv-density.js');
    const real = { ...options({}), modelPath: testChatModelPath() };
    const agents: Record<string, number> = {};
    for (const kvType of ['f16', 'q8_0', 'q4_0'] as const) {
      const filled = await fillBudget(real, kvType, 512, 16 * 1024 * 1024);
      // llama.cpp's own allocation decides: the fitted agents are inside the budget, one more is not.
      expect(filled.kv_bytes_allocated).toBeLessThanOrEqual(16 * 1024 * 1024);
      expect(filled.next_agent_kv_bytes).toBeGreaterThan(16 * 1024 * 1024);
      expect(filled).toMatchObject({ stopped_by: 'budget', kernel_ran_agents: filled.agents, kernel_exited: filled.agents, kernel_swaps_out: 0 });
      agents[kvType] = filled.agents;
    }
    expect(agents.f16).toBeGreaterThan(0);
    expect(agents.q8_0).toBeGreaterThan(agents.f16!);
    expect(agents.q4_0).toBeGreaterThan(agents.q8_0!);
  });
});

describe('memory benchmark', { timeout: SMOKE_LIMIT_MS }, () => {
  it('reports held-back recall@k for the kernel and each peer, answer accuracy, and paging against re-prefill time', async () => {
    const { run } = await import('./memory.bench.js');
    const result = await run(options({ pairs: '4', factor: '4', runs: '1' }));
    expect(result.params).toMatchObject({ held_back_questions: 2, tuning_questions: 2, runs: 1 });
    expect(result.params.window_multiple).toBeGreaterThanOrEqual(3);
    const sides = [result.kernel, result.peers.bm25, result.peers.vector, result.peers.truncation];
    for (const side of sides) expect([0, 0.5, 1]).toContain(side.recall_at_k);
    for (const side of [result.kernel, result.peers.truncation]) expect([0, 0.5, 1]).toContain(side.answer_accuracy);
    // Paging happened: the conversation was several windows long.
    expect(result.kernel.blocks_paged_out).toBeGreaterThan(0);
    expect(result.kernel.paging_ms).toMatchObject({ median: expect.any(Number), runs: 1 });
    expect(result.ratios.page_out_time_vs_reprefill).toBeGreaterThan(0);
    for (const key of ['recall_at_k_vs_bm25', 'recall_at_k_vs_vector', 'recall_at_k_vs_truncation', 'answer_accuracy_vs_truncation']) expect(result.ratios).toHaveProperty(key);
  });
});

describe.skipIf(!findLlamaServer())('cores benchmark', { timeout: SMOKE_LIMIT_MS }, () => {
  it('reports throughput on one and two llama-server cores, and the failover of a killed core', async () => {
    const { run } = await import('./cores.bench.js');
    const result = await run(options({ runs: '1', agents: '2', steps: '2', slots: '1', tokens: '48' }));
    expect(result.kernel.throughput_tps_1_core).toBeGreaterThan(0);
    expect(result.kernel.throughput_tps_2_cores).toBeGreaterThan(0);
    expect(result.ratios.throughput_2_vs_1_cores).toBeGreaterThan(0);
    // The kill waits for an agent generating on the victim, so at least one agent moves, and each moved one finishes.
    expect(result.kernel.failover_agents).toBeGreaterThanOrEqual(1);
    expect(result.kernel.failover_completed).toBe(result.kernel.failover_agents);
    expect(result.kernel.failover_ms).toBeGreaterThan(0);
  });
});
