/**
 * KV cache as memory and IPC: handoff time to the receiver's first token (kv against text) over
 * growing transcripts; snapshot save/restore time and bytes per token per KV type; resume after a
 * restart from a snapshot against re-prefilling; how many agents fit a fixed KV budget per type.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelEvent } from '../src-shared/index.js';
import type { Kernel, KernelConfig } from '../src-main/kernel/index.js';
import { packageRoot } from '../src-main/settings.js';
import { ensureTinyLlama } from '../src-main/test-support/tiny-gguf.js';
import { benchKernel, firstTokenAt, machineFacts, type BenchOptions, type BenchResult } from './bench-support.js';

const writer = (maxTokens: number) => ({
  id: 'bench-sender',
  name: 'Sender',
  description: 'builds a long context',
  systemPrompt: 'Read the notes and continue them.',
  kind: 'background',
  tools: [],
  model: { maxSteps: 1, maxTokensPerStep: maxTokens, maxAnswerChars: 200 },
});
const receiver = {
  id: 'bench-receiver',
  name: 'Receiver',
  description: 'continues from the sender',
  systemPrompt: 'Continue.',
  kind: 'interactive',
  tools: [],
  model: { maxSteps: 1, maxTokensPerStep: 32, maxAnswerChars: 60 },
};

/** A task of about `tokens` tokens (the test model's tokenizer is close to one token per character). */
function longTask(kernel: Kernel, tokens: number): string {
  const words = 'the little fox ran to the river and saw a boat with a red sail and a cat on it '.split(' ');
  let text = '';
  for (let i = 0; kernel.info().model && text.length < tokens * 3; i++) text += `${words[i % words.length]} `;
  return text;
}

async function handoffTtft(kernel: Kernel, from: number, mode: 'kv' | 'text'): Promise<{ ms: number; tokensIn: number; mode: string; state: string }> {
  const started = performance.now();
  const result = await kernel.handoff(from, receiver, 'Go on.', mode);
  const first = firstTokenAt(kernel, result.process.pid);
  const done = await kernel.wait(result.process.pid);
  const firstAt = await Promise.race([first, Promise.resolve(Number.NaN)]);
  return { ms: firstAt - started, tokensIn: done.counters.tokensIn, mode: result.mode, state: done.state };
}

async function handoffs(options: BenchOptions, lengths: number[]) {
  const { kernel, dispose } = await benchKernel(options, { slots: 2, contextSize: 2048 });
  const rows: Record<string, unknown>[] = [];
  try {
    for (const length of lengths) {
      const sender = kernel.spawn(writer(16), longTask(kernel, length));
      await kernel.wait(sender.pid);
      const events: KernelEvent[] = [];
      const off = kernel.bus.on((event) => events.push(event));
      const kv = await handoffTtft(kernel, sender.pid, 'kv');
      const text = await handoffTtft(kernel, sender.pid, 'text');
      off();
      const tokens = (events.find((e) => e.type === 'ipc.handoff' && e.mode === 'kv') as { tokens: number } | undefined)?.tokens ?? 0;
      rows.push({ transcript_tokens: tokens, kv_ttft_ms: kv.ms, text_ttft_ms: text.ms, kv_tokens_in: kv.tokensIn, text_tokens_in: text.tokensIn, kv_mode: kv.mode, text_receiver: text.state });
    }
  } finally {
    await dispose();
  }
  return rows;
}

/** Snapshot size and time per token for one KV type, from the kernel's own snapshot events. */
async function snapshotCosts(options: BenchOptions, modelPath: string, kvType: 'f16' | 'q8_0' | 'q4_0') {
  const { kernel, dispose } = await benchKernel({ ...options, modelPath }, { slots: 1, kvType, contextSize: 2048 });
  try {
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const sender = kernel.spawn(writer(64), longTask(kernel, 800));
    await kernel.wait(sender.pid);
    const snapshot = events.find((e) => e.type === 'proc.snapshot' && e.ok) as { bytes: number; tokens: number; durationMs: number };
    const handoff = await kernel.handoff(sender.pid, receiver, 'Go on.', 'kv');
    await kernel.wait(handoff.process.pid);
    const restore = events.find((e) => e.type === 'sched.swap' && e.direction === 'in' && e.ok) as { durationMs: number } | undefined;
    return {
      tokens: snapshot.tokens,
      bytes: snapshot.bytes,
      bytes_per_token: snapshot.bytes / snapshot.tokens,
      save_ms: snapshot.durationMs,
      restore_ms: restore?.durationMs ?? null,
      theoretical_bytes_per_token: kernel.info().model!.kvBytesPerToken,
    };
  } finally {
    await dispose();
  }
}

/** Time to the first token after a restart: from the snapshot, or re-prefilling everything. */
async function resume(options: BenchOptions, withSnapshot: boolean): Promise<number> {
  const config: Partial<KernelConfig> = { slots: 1, contextSize: 2048 };
  const first = await benchKernel(options, config);
  const dataDir = first.kernel.config.dataDir;
  const agent = { ...writer(8), model: { maxSteps: 50, maxTokensPerStep: 8, maxAnswerChars: 200 }, tools: ['calculator'], systemPrompt: 'Compute.' };
  const { pid } = first.kernel.spawn(agent, longTask(first.kernel, 1000));
  await new Promise<void>((resolve) => {
    const off = first.kernel.bus.on((e) => e.type === 'proc.snapshot' && e.pid === pid && (off(), resolve()));
  });
  first.kernel.suspend(pid);
  await first.kernel.dispose();
  if (!withSnapshot) rmSync(join(dataDir, 'snapshots', `pid-${pid}.kv`), { force: true });
  const started = performance.now();
  const { Kernel } = await import('../src-main/kernel/index.js');
  const second = await Kernel.boot({ ...first.kernel.config, dataDir });
  try {
    const at = await firstTokenAt(second, pid);
    return at - started;
  } finally {
    await second.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const lengths = String(options.args.lengths ?? '256,512,1024,1200').split(',').map(Number);
  const budgetBytes = Number(options.args.budgetMiB ?? 64) * 1024 * 1024;
  const contextPerAgent = Number(options.args.contextPerAgent ?? 4096);
  const handoffRows = await handoffs(options, lengths);

  const probe = await benchKernel(options, { slots: 1 });
  const headDim = probe.kernel.info().model!.headDim;
  await probe.dispose();
  const quantizable = headDim % 32 === 0;
  const quantModel = quantizable
    ? options.modelPath
    : ensureTinyLlama(options.modelPath, join(packageRoot(), 'dist', 'test-models', 'amk-tiny-hd32.gguf'));
  const perType: Record<string, Awaited<ReturnType<typeof snapshotCosts>>> = {};
  for (const kvType of ['f16', 'q8_0', 'q4_0'] as const) perType[kvType] = await snapshotCosts(options, quantModel, kvType);
  const agentsInBudget = Object.fromEntries(
    Object.entries(perType).map(([type, costs]) => [type, Math.floor(budgetBytes / (costs.bytes_per_token * contextPerAgent))]),
  );

  const resumeSnapshot = await resume(options, true);
  const resumeReprefill = await resume(options, false);
  // The longest transcript that still went over as attention state (longer ones fall back to text, with the reason).
  const longest = handoffRows.filter((row) => row.kv_mode === 'kv').at(-1) as { kv_ttft_ms: number; text_ttft_ms: number };
  return {
    name: 'kv',
    machine: machineFacts(),
    model: options.modelPath,
    params: {
      lengths,
      kv_budget_bytes: budgetBytes,
      context_per_agent: contextPerAgent,
      quantized_model: existsSync(quantModel) ? quantModel.split('/').at(-1) : quantModel,
      quantized_model_note: quantizable ? 'the given model' : `the given model's head dimension (${headDim}) rules out q8_0/q4_0; a generated head-dim-32 model with its tokenizer was used`,
      gpu: options.gpu,
    },
    kernel: { handoff: handoffRows, snapshot_by_kv_type: perType, agents_in_budget: agentsInBudget, resume_ttft_ms_snapshot: resumeSnapshot },
    baseline: { handoff: 'text mode (transcript re-prefilled), in the same rows', resume_ttft_ms_reprefill: resumeReprefill },
    ratios: {
      handoff_ttft_speedup_at_max: longest.text_ttft_ms / longest.kv_ttft_ms,
      resume_speedup: resumeReprefill / resumeSnapshot,
      density_q8_0_vs_f16: agentsInBudget.q8_0! / agentsInBudget.f16!,
      density_q4_0_vs_f16: agentsInBudget.q4_0! / agentsInBudget.f16!,
    },
  };
}
