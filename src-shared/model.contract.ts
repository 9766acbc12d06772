import { z } from 'zod';

export const GpuBackend = z.enum(['cuda', 'vulkan', 'metal', 'cpu']);
export type GpuBackend = z.infer<typeof GpuBackend>;

export const KvType = z.enum(['f16', 'q8_0', 'q4_0']);
export type KvType = z.infer<typeof KvType>;

export const ModelInfo = z.object({
  path: z.string(),
  name: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  /** sha256 of the file, computed once at load; identifies the model for KV compatibility. */
  sha256: z.string(),
  trainContextSize: z.number().int().positive(),
  contextSize: z.number().int().positive(),
  slots: z.number().int().positive(),
  hasChatTemplate: z.boolean(),
  backend: GpuBackend,
  devices: z.array(z.string()),
  vram: z.object({ totalBytes: z.number(), usedBytes: z.number() }).nullable(),
  gpuLayers: z.number().int().nonnegative(),
  totalLayers: z.number().int().nonnegative(),
  threads: z.number().int().positive(),
  /** Element type of the KV cache; quantized types need a head dimension that is a multiple of 32. */
  kvType: KvType,
  headDim: z.number().int().positive(),
  /** Bytes of KV state one token takes (all layers, keys and values). */
  kvBytesPerToken: z.number().nonnegative(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const KernelInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  startedAt: z.number(),
  model: ModelInfo.nullable(),
  /** Why no model is loaded, when none is. */
  modelError: z.string().nullable(),
  scheduler: z.object({ policy: z.string(), quantumTokens: z.number(), swap: z.enum(['ram', 'disk']) }),
  /** Where webhook interrupts are posted (`POST {url}/hooks/ROUTE` with the bearer token). */
  webhook: z.object({ url: z.string(), token: z.string() }).nullable(),
  /** Long-term memory (LanceDB): available, or why not; agents run without it when it is not. */
  memory: z.object({ available: z.boolean(), reason: z.string().nullable() }),
  /**
   * The event journal: lines skipped on load (counted, the first few with their reason: torn,
   * damaged, too long, out of order), its size, and when it was last compacted.
   */
  journal: z.object({
    skippedLines: z.number().int().nonnegative(),
    problems: z.array(z.string()),
    sizeBytes: z.number().nonnegative(),
    compactedAt: z.number().nullable(),
  }),
  /** Things that did not load and why: refused plugins, bad gallery manifests, damaged logs. */
  warnings: z.array(z.string()),
});
export type KernelInfo = z.infer<typeof KernelInfo>;
