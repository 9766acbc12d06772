import { z } from 'zod';
import { GpuBackend } from './model.contract.js';

export const CatalogModel = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(['chat', 'embedding']),
  file: z.string().regex(/^[\w.-]+\.gguf$/),
  url: z.string().url(),
  sizeBytes: z.number().int().positive(),
  /**
   * Checked, with sizeBytes, before the file is put in place. Null where no checksum is pinned:
   * sizeBytes is then an estimate, and the length the server reports is checked instead.
   */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  quantization: z.string(),
  license: z.string(),
  vramGiB: z.number().nonnegative(),
  notes: z.string(),
});
export type CatalogModel = z.infer<typeof CatalogModel>;

export const ModelCatalog = z.object({ default: z.string(), models: z.array(CatalogModel) });
export type ModelCatalog = z.infer<typeof ModelCatalog>;

export const InstalledModel = z.object({ file: z.string(), path: z.string(), sizeBytes: z.number(), catalogId: z.string().nullable() });
export type InstalledModel = z.infer<typeof InstalledModel>;

export const DownloadProgress = z.object({
  id: z.string(),
  /** The model's file name in the models folder. */
  file: z.string(),
  receivedBytes: z.number(),
  totalBytes: z.number(),
  bytesPerSecond: z.number(),
  /** Estimated seconds left; null until the speed is known. */
  secondsLeft: z.number().nullable(),
  state: z.enum(['downloading', 'retrying', 'verifying', 'done', 'failed']),
  attempt: z.number().int(),
  error: z.string().optional(),
});
export type DownloadProgress = z.infer<typeof DownloadProgress>;

/** What llama.cpp found on this machine, whether or not a model is loaded. */
export const GpuStatus = z.object({
  /** What the settings asked for: auto, cpu, cuda, vulkan or metal. */
  choice: z.string(),
  backend: GpuBackend,
  devices: z.array(z.string()),
  vram: z.object({ totalBytes: z.number(), usedBytes: z.number() }).nullable(),
  /** Why the asked-for backend could not be used, when it could not. */
  error: z.string().nullable(),
});
export type GpuStatus = z.infer<typeof GpuStatus>;

/** The models screen: the catalogue, what is installed and in use, downloads under way, the GPU. */
export const ModelsOverview = z.object({
  directory: z.string(),
  defaultId: z.string().nullable(),
  catalog: z.array(CatalogModel),
  installed: z.array(InstalledModel),
  /** Path of the loaded model, if any. */
  inUse: z.string().nullable(),
  /** Path of a model being loaded now, if any. */
  loading: z.string().nullable(),
  downloads: z.array(DownloadProgress),
  /** Downloads stopped part-way (cancelled, failed, or cut by a restart): they resume from here. */
  paused: z.array(z.object({ id: z.string(), receivedBytes: z.number(), totalBytes: z.number() })),
  gpu: GpuStatus,
});
export type ModelsOverview = z.infer<typeof ModelsOverview>;

/**
 * The name a model file gets in the models folder: what a browser or a download folder calls it
 * ("model (1).gguf"), with anything but letters, digits, dot, dash and underscore made a dash.
 */
export function toModelFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  return base.replace(/[^\w.-]+/g, '-').replace(/^[^\w]+/, '');
}
