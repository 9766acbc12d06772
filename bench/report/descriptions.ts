/**
 * What each benchmark measures and which way each of its ratios points. The JSON says neither, and a
 * chart must not guess: a ratio whose direction is not written here is tabled but never charted.
 */
export interface RatioMeaning {
  /** Short label for the chart and the table. */
  label: string;
  /** `true`: a larger value favours the kernel; `false`: a smaller one does; `'self'`: the kernel against itself (not charted). */
  higherFavoursKernel: boolean | 'self';
}

export interface BenchmarkDescription {
  measures: string;
  ratios: Record<string, RatioMeaning>;
  /** Flattened keys of each side plotted side by side when the JSON has no `{median,min,max}` values. */
  sideMetrics: string[];
}

export const DESCRIPTIONS: Record<string, BenchmarkDescription> = {
  scheduler: {
    measures:
      'Interactive requests arriving among long background jobs on one model: the fair-share scheduler with batched slots and preemption against every agent calling the model first-come-first-served, one sequence, no preemption.',
    ratios: {
      throughput: { label: 'throughput (kernel ÷ baseline)', higherFavoursKernel: true },
      p99_interactive_latency: { label: 'p99 interactive latency (kernel ÷ baseline)', higherFavoursKernel: false },
      p50_interactive_latency: { label: 'p50 interactive latency (kernel ÷ baseline)', higherFavoursKernel: false },
      p99_ttft: { label: 'p99 time to first token (kernel ÷ baseline)', higherFavoursKernel: false },
      p99_interactive_latency_vs_llama_server: { label: 'p99 interactive latency (llama-server ÷ kernel)', higherFavoursKernel: true },
      throughput_vs_llama_server: { label: 'throughput (kernel ÷ llama-server)', higherFavoursKernel: true },
    },
    sideMetrics: ['p50_interactive_latency_ms', 'p99_interactive_latency_ms', 'ttft_p99_ms', 'throughput_tps'],
  },
  interrupts: {
    measures:
      'Time from a webhook event to its handler’s first token while background agents decode, with a slot free and with every slot busy (a victim is preempted and its KV swapped out), against the same events under FCFS without preemption.',
    ratios: {
      p50_speedup_swap_needed: { label: 'p50 speedup, swap needed (baseline ÷ kernel)', higherFavoursKernel: true },
      p99_speedup_swap_needed: { label: 'p99 speedup, swap needed (baseline ÷ kernel)', higherFavoursKernel: true },
      swap_needed_vs_slots_free_p50: { label: 'p50 with a swap ÷ p50 with a free slot', higherFavoursKernel: 'self' },
    },
    sideMetrics: ['slots_free.p50_ms', 'swap_needed.p50_ms', 'all_slots_busy.p50_ms', 'slots_free.p99_ms', 'swap_needed.p99_ms', 'all_slots_busy.p99_ms'],
  },
  sandbox: {
    measures:
      'A Wasm tool call through the `tool.call` syscall against its peers on the same path (a warm worker process per tool, a fresh Wasm instance per call, plain JS in-process, a fresh Node process per call), in interleaved rounds; also a package install and its first, cold call. The baseline’s plain `call_ms` is the fresh-process figure, kept under its old name.',
    ratios: {
      call_vs_warm_process: { label: 'warm process ÷ kernel call time', higherFavoursKernel: true },
      call_vs_fresh_instance: { label: 'fresh Wasm instance ÷ kernel call time', higherFavoursKernel: true },
      process_vs_wasm_call: { label: 'fresh process ÷ kernel call time', higherFavoursKernel: true },
      call_vs_plain_js: { label: 'plain JS ÷ kernel call time', higherFavoursKernel: true },
    },
    sideMetrics: [],
  },
  kv: {
    measures:
      'The KV cache as memory and IPC: a handoff’s time to the receiver’s first token with the KV against re-prefilled text over growing transcripts, snapshot size and speed per KV type, resuming from a snapshot against re-prefilling, and agents per KV budget.',
    ratios: {
      handoff_ttft_speedup_at_max: { label: 'handoff TTFT speedup, longest transcript (text ÷ kv)', higherFavoursKernel: true },
      resume_speedup: { label: 'resume speedup (re-prefill ÷ snapshot)', higherFavoursKernel: true },
      density_q8_0_vs_f16: { label: 'agents per budget, q8_0 ÷ f16 KV', higherFavoursKernel: 'self' },
      density_q4_0_vs_f16: { label: 'agents per budget, q4_0 ÷ f16 KV', higherFavoursKernel: 'self' },
    },
    sideMetrics: ['resume_ttft_ms_snapshot', 'resume_ttft_ms_reprefill'],
  },
  memory: {
    measures:
      'Recall of facts planted through a conversation more than ten times the window: the kernel pages old turns out to LanceDB and back in by hybrid search; the baseline keeps a FIFO window and truncates.',
    ratios: {
      page_out_vs_reprefill_time: { label: 'paging time ÷ baseline re-prefill time', higherFavoursKernel: false },
      recall_vs_baseline: { label: 'recall (kernel ÷ baseline)', higherFavoursKernel: true },
    },
    sideMetrics: ['recall_at_k', 'in_context_share', 'paging_ms', 'reprefill_ms'],
  },
  tasks: {
    measures:
      'Gallery agents doing real jobs judged by code (tools, step grammar, memory, grants) against the same model answering the same task in one plain chat turn.',
    ratios: {
      success_vs_plain_chat: { label: 'jobs done (kernel ÷ plain chat)', higherFavoursKernel: true },
    },
    sideMetrics: ['success_rate'],
  },
};
