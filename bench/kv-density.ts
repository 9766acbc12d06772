/**
 * Agents per KV budget, by filling: llama.cpp allocates the kernel's context with one more agent
 * slot at a time until the next agent's KV cache would not fit the budget (`kv-allocation.ts`, in
 * a child process, reads the sizes llama.cpp reports for its own buffers), then the kernel boots
 * with that many slots of that KV type and runs that many agents at once, each in its own slot
 * (no swap), to show they do fit and run. Nothing here is computed from bytes per token.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelEvent } from '../src-shared/index.js';
import { benchKernel, type BenchOptions } from './bench-support.js';

export type KvType = 'f16' | 'q8_0' | 'q4_0';

/** One KV type's fill, flat (a table row in the report). */
export interface FillResult {
  kv_type: KvType;
  context_per_agent: number;
  agents: number;
  kv_bytes_allocated: number;
  kv_bytes_per_agent: number | null;
  kv_cells_per_agent: number;
  compute_buffer_bytes: number;
  next_agent_kv_bytes: number | null;
  /** `budget` when the next agent's KV would pass it; otherwise what stopped the filling. */
  stopped_by: string;
  /** The kernel, booted with `agents` slots of this KV type, ran that many agents at once: */
  kernel_ran_agents: number;
  kernel_distinct_slots: number;
  kernel_peak_concurrent_slices: number;
  kernel_swaps_out: number;
  kernel_exited: number;
}

type Allocation = Omit<FillResult, `kernel_${string}`>;
type KernelRun = Pick<FillResult, `kernel_${string}` & keyof FillResult>;

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'kv-allocation.ts');

function allocationInChild(options: BenchOptions, kvType: KvType, contextPerAgent: number, budgetBytes: number): Promise<Allocation> {
  const input = { modelPath: options.modelPath, kvType, contextPerAgent, budgetBytes, threads: options.threads ?? 1, gpu: options.gpu };
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(input)], { maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`kv allocation (${kvType}) failed: ${error.message}\n${stderr.slice(-2000)}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Allocation);
      } catch {
        reject(new Error(`kv allocation (${kvType}) printed no result: ${stdout.slice(-500)}`));
      }
    });
    child.on('error', reject);
  });
}

/** Boots the kernel with one slot per agent and runs them all at once: each must get a slot of its own. */
async function runResident(options: BenchOptions, kvType: KvType, contextPerAgent: number, agents: number): Promise<KernelRun> {
  if (agents === 0) return { kernel_ran_agents: 0, kernel_distinct_slots: 0, kernel_peak_concurrent_slices: 0, kernel_swaps_out: 0, kernel_exited: 0 };
  const { kernel, dispose } = await benchKernel(options, { slots: agents, kvType, contextSize: contextPerAgent, snapshotEverySteps: 0 });
  try {
    const events: KernelEvent[] = [];
    kernel.bus.on((event) => events.push(event));
    const agent = {
      id: 'bench-resident',
      name: 'Resident',
      description: 'holds a slot',
      systemPrompt: 'Greet the user.',
      kind: 'background',
      tools: [],
      model: { maxSteps: 1, maxTokensPerStep: 4, maxAnswerChars: 40 },
    };
    const pids = Array.from({ length: agents }, (_, i) => kernel.spawn(agent, `Say hello to agent ${i + 1}.`).pid);
    const done = await Promise.all(pids.map((pid) => kernel.wait(pid)));
    const slices = events.flatMap((e) => (e.type === 'sched.slice' ? [e] : []));
    return {
      kernel_ran_agents: agents,
      kernel_distinct_slots: new Set(slices.map((e) => e.slot)).size,
      kernel_peak_concurrent_slices: peakOverlap(slices.map((e) => [e.at - e.durationMs, e.at] as const)),
      kernel_swaps_out: events.filter((e) => e.type === 'sched.swap' && e.direction === 'out').length,
      kernel_exited: done.filter((info) => info.state === 'exited').length,
    };
  } finally {
    await dispose();
  }
}

/** The most intervals open at one moment. */
function peakOverlap(intervals: readonly (readonly [number, number])[]): number {
  const edges = intervals.flatMap(([start, end]) => [[start, 1], [end, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) peak = Math.max(peak, (open += delta));
  return peak;
}

export async function fillBudget(options: BenchOptions, kvType: KvType, contextPerAgent: number, budgetBytes: number): Promise<FillResult> {
  const allocation = await allocationInChild(options, kvType, contextPerAgent, budgetBytes);
  return { ...allocation, ...(await runResident(options, kvType, allocation.context_per_agent, allocation.agents)) };
}
