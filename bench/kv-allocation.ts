/**
 * Child process of the kv benchmark (`kv-density.ts` starts it): how many agents' KV caches
 * llama.cpp really allocates inside a byte budget. It creates the context the kernel's backend
 * creates (`llama-backend.ts`: one sequence per agent slot, each of the agent's context, the same
 * KV type, flash attention for a quantized cache) with 1, 2, 3… sequences, and reads the size of
 * the KV buffer llama.cpp allocated from llama.cpp's own log line, until the next agent does not fit.
 *
 * Its own process because llama.cpp's log callback is global to a process and the kernel sets it
 * to errors only. Input: one JSON argument; output: one JSON line on stdout.
 */
import { getLlama, LlamaLogLevel, type LlamaModel } from 'node-llama-cpp';
import { z } from 'zod';

const Input = z.object({
  modelPath: z.string(),
  kvType: z.enum(['f16', 'q8_0', 'q4_0']),
  contextPerAgent: z.number().int().positive(),
  budgetBytes: z.number().int().positive(),
  threads: z.number().int().positive(),
  gpu: z.enum(['auto', 'cpu']),
});

/** llama.cpp's limit on sequences in one context (LLAMA_MAX_SEQ). */
const MAX_SEQUENCES = 256;
const MIB = 1024 * 1024;
const GGML = { q8_0: 'Q8_0', q4_0: 'Q4_0' } as const;

const input = Input.parse(JSON.parse(process.argv[2] ?? '{}'));
let log = '';
const llama = await getLlama({
  gpu: input.gpu === 'cpu' ? false : 'auto',
  logLevel: LlamaLogLevel.info,
  logger: (_level, message) => void (log += message),
  build: 'never',
  progressLogs: false,
});
const model: LlamaModel = await llama.loadModel({ modelPath: input.modelPath });
const contextSize = Math.min(input.contextPerAgent, model.trainContextSize);

const sumMiB = (pattern: RegExp): number => [...log.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]) * MIB, 0);

/** The KV buffers llama.cpp allocated for a context of `agents` sequences, as it reports them. */
async function allocate(agents: number): Promise<{ kvBytes: number; computeBytes: number; cells: number } | { error: string }> {
  log = '';
  try {
    const context = await model.createContext({
      contextSize,
      sequences: agents,
      threads: input.threads,
      ...(input.kvType === 'f16' ? {} : { experimentalKvCacheKeyType: GGML[input.kvType], experimentalKvCacheValueType: GGML[input.kvType], flashAttention: true }),
    });
    await context.dispose();
  } catch (error) {
    return { error: (error as Error).message };
  }
  const kvBytes = sumMiB(/KV buffer size = +([\d.]+) MiB/g);
  if (kvBytes === 0) return { error: `llama.cpp did not report a KV buffer size (log: ${log.slice(0, 300)})` };
  return { kvBytes, computeBytes: sumMiB(/compute buffer size = +([\d.]+) MiB/g), cells: Number(/\(\s*(\d+) cells/.exec(log)?.[1] ?? 0) };
}

let fitted: { agents: number; kvBytes: number; computeBytes: number; cells: number } | null = null;
let next: { kvBytes?: number; error?: string } = {};
for (let agents = 1; ; agents++) {
  if (agents > MAX_SEQUENCES) {
    next = { error: `llama.cpp allows at most ${MAX_SEQUENCES} sequences in one context` };
    break;
  }
  const allocation = await allocate(agents);
  if ('error' in allocation) {
    next = { error: allocation.error };
    break;
  }
  if (allocation.kvBytes > input.budgetBytes) {
    next = { kvBytes: allocation.kvBytes };
    break;
  }
  fitted = { agents, ...allocation };
}
await model.dispose();
await llama.dispose();
process.stdout.write(
  JSON.stringify({
    kv_type: input.kvType,
    context_per_agent: contextSize,
    agents: fitted?.agents ?? 0,
    kv_bytes_allocated: fitted?.kvBytes ?? 0,
    kv_bytes_per_agent: fitted ? fitted.kvBytes / fitted.agents : null,
    kv_cells_per_agent: fitted?.cells ?? 0,
    compute_buffer_bytes: fitted?.computeBytes ?? 0,
    next_agent_kv_bytes: next.kvBytes ?? null,
    stopped_by: next.error ?? 'budget',
  }) + '\n',
);
