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
      'Interactive requests (100 per run, a few tokens each) from 4 users in a closed loop (each asks again once answered, after a seeded think time of 500–1,000 ms) while background agents (one per slot, 2 slots, each job followed by the next) keep every slot busy, on one model; each side run 5 times, interleaved in rotated order (median, min–max): the kernel (fair-share scheduler, batched slots, preemption, working set) against llama.cpp’s own server with the same slots, threads, grammar, model, load and prompt tokens (built by the kernel’s own prompt builder and chat template, sent as token ids; `llama-server --parallel N`: continuous batching, FCFS, no preemption), the kernel’s own FCFS policy with the same slots (policy alone), and FCFS with one slot (the sequential baseline). Overload: 1,000 background agents (2 short steps each) spawned at once on the tiny model with 100 interactive requests meanwhile, the kernel’s working set (twice the slots) against FCFS with the same slots and none (one run per side); `proc_list_ms` times `proc.list` through the API while the agents start, `proc_list_idle_ms` once they are done. Tool-heavy (when present): agents whose `http_get` calls (the Wasm tool, through a `net:` grant) wait 50–2,000 ms on a loopback server while interactive requests arrive, swap by idleness (`swapPolicy: idle`: the idlest blocked agent’s KV swapped out ahead of need, keeping a slot free) against swap on demand, 5 runs per side, interleaved.',
    ratios: {
      p99_interactive_latency_vs_llama_server: { label: 'p99 interactive latency (llama-server ÷ kernel)', higherFavoursKernel: true },
      p50_interactive_latency_vs_llama_server: { label: 'p50 interactive latency (llama-server ÷ kernel)', higherFavoursKernel: true },
      ttft_p99_vs_llama_server: { label: 'p99 time to first token (llama-server ÷ kernel)', higherFavoursKernel: true },
      throughput_vs_llama_server: { label: 'throughput (kernel ÷ llama-server)', higherFavoursKernel: true },
      p99_interactive_latency_vs_fcfs_same_slots: { label: 'p99 interactive latency (FCFS same slots ÷ kernel)', higherFavoursKernel: true },
      p50_interactive_latency_vs_fcfs_same_slots: { label: 'p50 interactive latency (FCFS same slots ÷ kernel)', higherFavoursKernel: true },
      ttft_p99_vs_fcfs_same_slots: { label: 'p99 time to first token (FCFS same slots ÷ kernel)', higherFavoursKernel: true },
      throughput_vs_fcfs_same_slots: { label: 'throughput (kernel ÷ FCFS same slots)', higherFavoursKernel: true },
      p99_interactive_latency_vs_fcfs_1_slot: { label: 'p99 interactive latency (FCFS 1 slot ÷ kernel)', higherFavoursKernel: true },
      p50_interactive_latency_vs_fcfs_1_slot: { label: 'p50 interactive latency (FCFS 1 slot ÷ kernel)', higherFavoursKernel: true },
      ttft_p99_vs_fcfs_1_slot: { label: 'p99 time to first token (FCFS 1 slot ÷ kernel)', higherFavoursKernel: true },
      throughput_vs_fcfs_1_slot: { label: 'throughput (kernel ÷ FCFS 1 slot)', higherFavoursKernel: true },
      mean_completion_vs_fcfs_same_slots: { label: 'overload: mean completion time (FCFS same slots ÷ kernel)', higherFavoursKernel: true },
      p99_interactive_latency_overload_vs_fcfs_same_slots: { label: 'overload: p99 interactive latency (FCFS same slots ÷ kernel)', higherFavoursKernel: true },
      throughput_overload_vs_nominal: { label: 'overload: throughput, 1,000 agents ÷ 100 agents', higherFavoursKernel: 'self' },
      ttft_vs_swap_on_demand: { label: 'tool-heavy: mean time to first token (swap on demand ÷ swap by idleness)', higherFavoursKernel: true },
      throughput_vs_swap_on_demand: { label: 'tool-heavy: throughput (swap by idleness ÷ swap on demand)', higherFavoursKernel: true },
      tool_wake_vs_swap_on_demand: { label: 'tool-heavy: wake after a tool call (swap on demand ÷ swap by idleness)', higherFavoursKernel: true },
      // Results written before issue 16 (kernel ÷ the one-slot FCFS baseline, lower favouring the kernel for latency); kept so they still read right.
      throughput: { label: 'throughput (kernel ÷ baseline)', higherFavoursKernel: true },
      p99_interactive_latency: { label: 'p99 interactive latency (kernel ÷ baseline)', higherFavoursKernel: false },
      p50_interactive_latency: { label: 'p50 interactive latency (kernel ÷ baseline)', higherFavoursKernel: false },
      p99_ttft: { label: 'p99 time to first token (kernel ÷ baseline)', higherFavoursKernel: false },
    },
    sideMetrics: ['p50_interactive_latency_ms', 'p99_interactive_latency_ms', 'ttft_p99_ms', 'throughput_tps'],
  },
  interrupts: {
    measures:
      'Time from a webhook event to its handler’s first token with every slot busy with a background agent on every side, each side run 5 times, interleaved in rotated order (per-run p50 and p99, median and min–max over runs): the kernel (fair share: it preempts a background agent mid-step and swaps its KV to RAM) against llama.cpp’s own server with the same model, slots, threads and step grammar (`llama-server --parallel N`: FCFS, the request waits for a slot’s current generation to end) and against the kernel’s own FCFS policy with the same slots (no preemption: the handler waits for a background step to end). With a handful of events per run, a run’s p99 is its maximum.',
    ratios: {
      p50_latency_vs_llama_server: { label: 'p50 event-to-first-token (llama-server ÷ kernel)', higherFavoursKernel: true },
      p99_latency_vs_llama_server: { label: 'p99 event-to-first-token (llama-server ÷ kernel)', higherFavoursKernel: true },
      p50_latency_vs_kernel_no_preemption: { label: 'p50 event-to-first-token (kernel without preemption ÷ kernel)', higherFavoursKernel: true },
      p99_latency_vs_kernel_no_preemption: { label: 'p99 event-to-first-token (kernel without preemption ÷ kernel)', higherFavoursKernel: true },
    },
    sideMetrics: ['pooled_p50_ms', 'pooled_p99_ms'],
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
      'The KV cache as memory and IPC, each side run 5 times, interleaved (median, min–max): a handoff’s time to the receiver’s first token when the sender’s KV state is loaded into the receiver’s slot, against the re-prefill peer (the same kernel handing the transcript over as text), per transcript length; resuming after a restart from the snapshot against re-prefilling from the journal; and agents per KV budget for each KV type, found by filling: llama.cpp allocates the kernel’s context with one more agent slot at a time until the KV buffer it reports would pass the budget, then the kernel runs that many agents at once. A model whose head dimension is not a multiple of 32 (the tiny one) is measured with f16 only.',
    ratios: {
      handoff_ttft_vs_reprefill: { label: 'handoff time to first token, longest transcript (re-prefill ÷ kv)', higherFavoursKernel: true },
      resume_ttft_vs_reprefill: { label: 'resume time to first token after a restart (re-prefill ÷ snapshot)', higherFavoursKernel: true },
      density_q8_0_vs_f16: { label: 'agents per KV budget, q8_0 ÷ f16', higherFavoursKernel: 'self' },
      density_q4_0_vs_f16: { label: 'agents per KV budget, q4_0 ÷ f16', higherFavoursKernel: 'self' },
    },
    sideMetrics: ['resume_ttft_ms', 'agents_per_budget.f16', 'agents_per_budget.q8_0', 'agents_per_budget.q4_0'],
  },
  memory: {
    measures:
      'Recall of facts told through a conversation about nine to ten times the window, asked back in other words: each question shares no word with its fact outside a stop-list (checked in code), and each fact has a look-alike distractor (another relative’s key, another appointment). Half the questions tune, the held-back half is reported. Retrieval (recall@k: the fact resident in the window or among the top k): the kernel’s hybrid search (vector and LanceDB full text, reciprocal-rank fused) against LanceDB full text only (BM25), vector only, and truncation (the newest turns that fit the window). Answers: the model answers each held-back question from the window the kernel builds and from the truncated window, judged by code (the value named, the distractor’s not). The kernel and the vector-only peer use the same embeddings: by default the dedicated embedding model the tests use (all-MiniLM-L6-v2, `--embedding-model PATH|none`), with which both rankings count the same; without one the chat model embeds (params.embedding says which). Time: paging out (embedding, storing, KV erase, the prefill after) against re-prefilling a truncated window, and the whole conversation on each side, over 5 interleaved runs (median, min–max); recall and answers are deterministic and measured once.',
    ratios: {
      recall_at_k_vs_bm25: { label: 'recall@k (kernel ÷ BM25 only)', higherFavoursKernel: true },
      recall_at_k_vs_vector: { label: 'recall@k (kernel ÷ vector only)', higherFavoursKernel: true },
      recall_at_k_vs_truncation: { label: 'recall@k (kernel ÷ truncation)', higherFavoursKernel: true },
      answer_accuracy_vs_truncation: { label: 'answer accuracy (kernel ÷ truncation)', higherFavoursKernel: true },
      page_out_time_vs_reprefill: { label: 'paging time (truncation re-prefill ÷ kernel paging)', higherFavoursKernel: true },
      conversation_time_vs_truncation: { label: 'whole conversation time (truncation ÷ kernel)', higherFavoursKernel: true },
    },
    sideMetrics: ['recall_at_k', 'answer_accuracy', 'in_context_share'],
  },
  tasks: {
    measures:
      'Gallery agents doing real jobs judged by code (tools, step grammar, memory, grants) against the same model answering the same task in one plain chat turn.',
    ratios: {
      success_vs_plain_chat: { label: 'jobs done (kernel ÷ plain chat)', higherFavoursKernel: true },
    },
    sideMetrics: ['success_rate'],
  },
  cores: {
    measures:
      'The same agent workload through the kernel on one and on two llama-server cores on loopback (one thread each; the local model lends no slots), and the failover run: two cores, `kill -9` of one while an agent generates there, its agents moved to the other and finished from their journaled steps (`failover_ms`: from the kill to each moved agent’s first token on the surviving core).',
    ratios: {
      throughput_2_vs_1_cores: { label: 'throughput, 2 cores ÷ 1 core', higherFavoursKernel: 'self' },
    },
    sideMetrics: ['failover_agents', 'failover_completed', 'failover_ms'],
  },
};
