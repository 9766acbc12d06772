/**
 * KV cache as memory and IPC, each side run `runs` times, interleaved:
 * - handoff: time to the receiver's first token, kernel (the sender's KV state loaded into the
 *   receiver's slot) against the re-prefill peer (the transcript handed over as text), per length;
 * - resume after a restart: from the snapshot against re-prefilling the whole context;
 * - density: agents per KV budget for each KV type, by filling (`kv-density.ts`), not arithmetic;
 * - snapshot size and save/restore time per KV type.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelEvent } from '../src-shared/index.js';
import { Kernel, type KernelConfig } from '../src-main/kernel/index.js';
import { benchKernel, firstTokenAt, machineFacts, medianSpread, type BenchOptions, type BenchResult } from './bench-support.js';
import { fillBudget, type FillResult, type KvType } from './kv-density.js';

const MIB = 1024 * 1024;

const writer = (maxTokens: number) => ({
  id: 'bench-sender',
  name: 'Sender',
  description: 'builds a long context',
  systemPrompt: 'Read the notes and continue them.',
  kind: 'background',
  tools: [],
  model: { maxSteps: 1, maxTokensPerStep: maxTokens, maxAnswerChars: 200 },
});
/**
 * The receiver's system prompt names the run: a slot keeps the KV of whoever used it last and the
 * kernel reuses a shared prefix, so an identical text receiver would find its prompt already there
 * and the re-prefill peer would not re-prefill. Both sides get the same receiver in a run.
 */
const receiver = (run: number) => ({
  id: 'bench-receiver',
  name: 'Receiver',
  description: 'continues from the sender',
  systemPrompt: `Run ${run}. Continue.`,
  kind: 'interactive',
  tools: [],
  model: { maxSteps: 1, maxTokensPerStep: 16, maxAnswerChars: 60 },
});

/** About `chars / 3` words of plain text; the real token count is read from the kernel's events. */
function longTask(chars: number): string {
  const words = 'the little fox ran to the river and saw a boat with a red sail and a cat on it'.split(' ');
  let text = '';
  for (let i = 0; text.length < chars * 3; i++) text += `${words[i % words.length]} `;
  return text;
}

async function handoffTtft(kernel: Kernel, from: number, run: number, mode: 'kv' | 'text') {
  const started = performance.now();
  const result = await kernel.handoff(from, receiver(run), 'Go on.', mode);
  const first = firstTokenAt(kernel, result.process.pid);
  const done = await kernel.wait(result.process.pid);
  const firstAt = await Promise.race([first, Promise.resolve(Number.NaN)]);
  return { ms: firstAt - started, tokensIn: done.counters.tokensIn, mode: result.mode, reason: result.reason };
}

interface HandoffRow {
  target_length: number;
  transcript_tokens: number;
  kv_tokens_in: number;
  reprefill_tokens_in: number;
  kv: ReturnType<typeof medianSpread>;
  text: ReturnType<typeof medianSpread>;
  ttft_vs_reprefill: number;
}

/** One sender per length; then each run hands every sender over both ways, alternating which goes first. */
async function handoffs(options: BenchOptions, lengths: number[], runs: number) {
  const { kernel, dispose } = await benchKernel(options, { slots: 2, contextSize: 2048 });
  try {
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const senders: { length: number; pid: number }[] = [];
    for (const length of lengths) {
      const sender = kernel.spawn(writer(16), longTask(length));
      await kernel.wait(sender.pid);
      senders.push({ length, pid: sender.pid });
    }
    const samples = senders.map(() => ({ kv: [] as number[], text: [] as number[], kvIn: 0, textIn: 0, mode: 'kv', reason: undefined as string | undefined }));
    for (let run = 0; run < runs; run++) {
      for (const [index, sender] of senders.entries()) {
        // A sender too long for a kv handoff has nothing to compare: its row keeps the reason only.
        if (samples[index]!.mode === 'text') continue;
        const order = run % 2 === 0 ? (['kv', 'text'] as const) : (['text', 'kv'] as const);
        for (const mode of order) {
          const sample = await handoffTtft(kernel, sender.pid, run, mode);
          const row = samples[index]!;
          row[mode].push(sample.ms);
          if (mode === 'kv') Object.assign(row, { kvIn: sample.tokensIn, mode: sample.mode, reason: sample.reason });
          else row.textIn = sample.tokensIn;
        }
      }
    }
    const measured: HandoffRow[] = [];
    const fallbacks: { target_length: number; reason: string }[] = [];
    for (const [index, sender] of senders.entries()) {
      const row = samples[index]!;
      if (row.mode === 'text') {
        fallbacks.push({ target_length: sender.length, reason: row.reason ?? 'unknown' });
        continue;
      }
      const handoff = events.find((e) => e.type === 'ipc.handoff' && e.from === sender.pid && e.mode === 'kv') as { tokens: number } | undefined;
      const kv = medianSpread(row.kv);
      const text = medianSpread(row.text);
      measured.push({ target_length: sender.length, transcript_tokens: handoff?.tokens ?? 0, kv_tokens_in: row.kvIn, reprefill_tokens_in: row.textIn, kv, text, ttft_vs_reprefill: text.median / kv.median });
    }
    return { measured, fallbacks };
  } finally {
    await dispose();
  }
}

/** Snapshot size and time for one KV type, from the kernel's own snapshot and swap events. */
async function snapshotCosts(options: BenchOptions, kvType: KvType) {
  const { kernel, dispose } = await benchKernel(options, { slots: 1, kvType, contextSize: 2048 });
  try {
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const sender = kernel.spawn(writer(32), longTask(800));
    await kernel.wait(sender.pid);
    const snapshot = events.find((e) => e.type === 'proc.snapshot' && e.ok) as { bytes: number; tokens: number; durationMs: number };
    const handoff = await kernel.handoff(sender.pid, receiver(0), 'Go on.', 'kv');
    await kernel.wait(handoff.process.pid);
    const restore = events.find((e) => e.type === 'sched.swap' && e.direction === 'in' && e.ok) as { durationMs: number } | undefined;
    return { tokens: snapshot.tokens, bytes: snapshot.bytes, bytes_per_token: snapshot.bytes / snapshot.tokens, save_ms: snapshot.durationMs, restore_ms: restore?.durationMs ?? null };
  } finally {
    await dispose();
  }
}

/**
 * Time to the first token after a restart, from the start of boot. One data folder is left with a
 * suspended agent and its snapshot; each run boots a copy of it, with the snapshot (the kernel) or
 * without it (the peer: the kernel re-prefills the whole context from the journal).
 */
async function resume(options: BenchOptions, runs: number) {
  const config: Partial<KernelConfig> = { slots: 1, contextSize: 2048 };
  const first = await benchKernel(options, config);
  const template = first.kernel.config;
  const agent = { ...writer(8), model: { maxSteps: 50, maxTokensPerStep: 8, maxAnswerChars: 200 }, tools: ['calculator'], systemPrompt: 'Compute.' };
  const { pid } = first.kernel.spawn(agent, longTask(1000));
  await new Promise<void>((resolve) => {
    const off = first.kernel.bus.on((e) => e.type === 'proc.snapshot' && e.pid === pid && e.ok && (off(), resolve()));
  });
  first.kernel.suspend(pid);
  const tokens = first.kernel.table.get(pid).counters.tokensIn;
  await first.kernel.dispose();
  const sides = { snapshot: [] as number[], reprefill: [] as number[] };
  try {
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? (['snapshot', 'reprefill'] as const) : (['reprefill', 'snapshot'] as const);
      for (const side of order) sides[side].push(await resumeOnce(template, pid, side === 'snapshot'));
    }
  } finally {
    await first.dispose();
  }
  return { snapshot: medianSpread(sides.snapshot), reprefill: medianSpread(sides.reprefill), context_tokens: tokens };
}

async function resumeOnce(template: KernelConfig, pid: number, withSnapshot: boolean): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'amk-bench-resume-'));
  cpSync(template.dataDir, dataDir, { recursive: true });
  if (!withSnapshot) rmSync(join(dataDir, 'snapshots', `pid-${pid}.kv`), { force: true });
  const started = performance.now();
  const kernel = await Kernel.boot({ ...template, dataDir });
  try {
    return (await firstTokenAt(kernel, pid)) - started;
  } finally {
    await kernel.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(given: BenchOptions): Promise<BenchResult & { peers: { reprefill: Record<string, unknown> } }> {
  // One llama.cpp thread unless told: the machine is shared, and both sides run on the same kernel.
  const options: BenchOptions = { ...given, threads: given.threads ?? 1 };
  const runs = Math.max(1, Number(options.args.runs ?? 5));
  const lengths = String(options.args.lengths ?? '256,768,1500').split(',').map(Number);
  const budgetBytes = Math.round(Number(options.args.budgetMiB ?? 256) * MIB);
  const contextPerAgent = Number(options.args.contextPerAgent ?? 2048);

  const probe = await benchKernel(options, { slots: 1 });
  const model = probe.kernel.info().model!;
  await probe.dispose();
  const quantizable = model.headDim % 32 === 0;
  const kvTypes: KvType[] = quantizable ? ['f16', 'q8_0', 'q4_0'] : ['f16'];

  const handoff = await handoffs(options, lengths, runs);
  const resumed = await resume(options, runs);
  const density: Partial<Record<KvType, FillResult>> = {};
  const snapshots: Partial<Record<KvType, Awaited<ReturnType<typeof snapshotCosts>>>> = {};
  for (const kvType of kvTypes) {
    density[kvType] = await fillBudget(options, kvType, contextPerAgent, budgetBytes);
    snapshots[kvType] = await snapshotCosts(options, kvType);
  }
  // The longest transcript that still went over as attention state (longer ones fall back to text, with the reason).
  const longest = handoff.measured.at(-1);
  const byTokens = (pick: (row: HandoffRow) => unknown) => Object.fromEntries(handoff.measured.map((row) => [String(row.transcript_tokens), pick(row)]));
  const agents = (type: KvType) => density[type]!.agents;
  return {
    name: 'kv',
    machine: machineFacts(),
    model: options.modelPath,
    params: {
      runs,
      target_lengths: lengths,
      kv_budget_bytes: budgetBytes,
      context_per_agent: contextPerAgent,
      kv_types: kvTypes,
      ...(quantizable
        ? {}
        : { quantized_kv_note: `q8_0/q4_0 not measured: ${model.name} has head dimension ${model.headDim}, and llama.cpp's quantized KV blocks need a multiple of 32` }),
      density_method:
        'llama.cpp allocates the kernel’s context (one sequence per agent, flash attention for a quantized cache) with one more agent at a time; the KV buffer size it reports is compared with the budget until the next agent does not fit; the kernel then runs that many agents at once with that many slots',
      threads: options.threads,
      gpu: options.gpu,
      machine_load_note: 'measured on a shared 2-core machine while other engineers built and tested: timings are noisy',
    },
    kernel: {
      // Flat rows (a table in the report), then each side's spread keyed by transcript tokens.
      handoff: handoff.measured.map(({ kv, text, ...row }) => ({ ...row, kv_ttft_ms_median: kv.median, reprefill_ttft_ms_median: text.median })),
      handoff_ttft_ms: byTokens((row) => row.kv),
      ...(handoff.fallbacks.length > 0 ? { handoff_fallbacks: handoff.fallbacks } : {}),
      resume_ttft_ms: resumed.snapshot,
      resume_context_tokens: resumed.context_tokens,
      density,
      agents_per_budget: Object.fromEntries(kvTypes.map((type) => [type, agents(type)])),
      snapshot_by_kv_type: snapshots,
    },
    peers: {
      reprefill: {
        kind: 'the same kernel without the KV state: a handoff passes the transcript as text, a restart re-prefills from the journal',
        handoff_ttft_ms: byTokens((row) => row.text),
        resume_ttft_ms: resumed.reprefill,
      },
    },
    baseline: { kind: 'see peers.reprefill' },
    ratios: {
      ...(longest ? { handoff_ttft_vs_reprefill: longest.ttft_vs_reprefill } : {}),
      resume_ttft_vs_reprefill: resumed.reprefill.median / resumed.snapshot.median,
      ...(quantizable ? { density_q8_0_vs_f16: agents('q8_0') / agents('f16'), density_q4_0_vs_f16: agents('q4_0') / agents('f16') } : {}),
    },
  };
}
