import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { KvType, RemoteCoreConfig } from '../src-shared/index.js';
import { DEFAULT_SCHEDULER, type GpuChoice, type KernelConfig, type SchedulerConfig } from './kernel/index.js';

/** The package root, found from this file whether it runs from source or from dist/. */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'agentic-microkernel') return directory;
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error('cannot find the agentic-microkernel package root');
    directory = parent;
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AMK_DATA_DIR) return resolve(env.AMK_DATA_DIR);
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'amk');
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'amk');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'amk');
}

const GPU_CHOICES = ['auto', 'cpu', 'cuda', 'vulkan', 'metal'] as const satisfies readonly GpuChoice[];

const PositiveInt = z.number().int().positive();
const Path = z.string().min(1);

/**
 * Settings a user may keep in `<data dir>/config.json`; flags and environment override them. Each
 * field says what it must be, so a bad one is reported by name (unknown fields are ignored: other
 * versions of amk may write them).
 */
const SettingsFile = z.object({
  model: Path.describe('a path to a GGUF file').optional(),
  gpu: z.enum(GPU_CHOICES).describe(`one of ${GPU_CHOICES.join(', ')}`).optional(),
  threads: PositiveInt.describe('a positive integer').optional(),
  slots: PositiveInt.describe('a positive integer').optional(),
  contextSize: z.union([PositiveInt, z.literal('auto')]).describe('"auto" or a positive integer').optional(),
  gpuLayers: z.union([z.number().int().nonnegative(), z.literal('auto')]).describe('"auto" or a whole number').optional(),
  kvType: KvType.describe('f16, q8_0 or q4_0').optional(),
  embeddingModel: Path.describe('a path to a GGUF file').optional(),
  quantumTokens: PositiveInt.describe('a positive integer').optional(),
  swap: z.enum(['ram', 'disk']).describe('ram or disk').optional(),
  /** `idle` also swaps the idlest waiting process out ahead of need (AMK_SWAP_POLICY); `on-demand` by default. */
  swapPolicy: z.enum(['on-demand', 'idle']).describe('on-demand or idle').optional(),
  /** false: processes recovered from the journal wait suspended instead of resuming at boot. */
  resumeOnBoot: z.boolean().describe('true or false').optional(),
  /** The cap on one model upload, in bytes (AMK_MAX_UPLOAD_BYTES); 64 GiB by default. */
  maxUploadBytes: PositiveInt.describe('a positive integer (bytes)').optional(),
  /** bubblewrap for confining native MCP servers (AMK_BWRAP); `bwrap` on PATH by default. */
  bwrapPath: Path.describe('a path').optional(),
  /** Remote cores (kernel/cores): written by `amk cores add` and `cores.add`; read by the kernel at boot. */
  cores: z.array(RemoteCoreConfig).max(64).describe('a list of cores ({name, kind: llama-server|openai, url, tokenEnv?, model?})').optional(),
  /** false: the local model lends no slots; every token comes from a remote core. */
  localCore: z.boolean().describe('true or false').optional(),
});
type SettingsFile = z.infer<typeof SettingsFile>;

/** Reads and validates `<data dir>/config.json`: a bad field is an error naming the field, the value and the file. */
function readSettingsFile(dataDir: string): SettingsFile {
  const path = join(dataDir, 'config.json');
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${path} must hold a JSON object of settings, got ${JSON.stringify(raw)}`);
  const parsed = SettingsFile.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0]);
  const expected = SettingsFile.shape[field as keyof SettingsFile]?.unwrap().description ?? issue.message;
  // A core's entry is named, not echoed: its URL may carry a credential, and the list may be huge.
  if (field === 'cores') {
    const where = issue.path.length > 1 ? `entry ${String(issue.path[1])}${issue.path.length > 2 ? `, ${issue.path.slice(2).join('.')}` : ''}: ${issue.message}` : issue.message;
    throw new Error(`cores in config.json must be ${expected} (${where}) (${path})`);
  }
  throw new Error(`${field} in config.json must be ${expected}, got ${JSON.stringify((raw as Record<string, unknown>)[field])?.slice(0, 200)} (${path})`);
}

/** The catalogue of recommended models: AMK_CATALOG, else the one shipped in assets/. */
export function catalogPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.AMK_CATALOG ? resolve(env.AMK_CATALOG) : join(packageRoot(), 'assets', 'models.json');
}

/** Files the catalogue names as embedding models: never picked as the chat model. */
function embeddingFiles(catalog: string): Set<string> {
  try {
    const parsed = JSON.parse(readFileSync(catalog, 'utf8')) as { models?: { file?: string; role?: string }[] };
    return new Set((parsed.models ?? []).filter((model) => model.role === 'embedding').map((model) => String(model.file)));
  } catch {
    return new Set();
  }
}

/** The first chat GGUF in `<data dir>/models`, where the app keeps the models it downloads. */
function installedModel(dataDir: string, catalog: string): string | null {
  const directory = join(dataDir, 'models');
  if (!existsSync(directory)) return null;
  const skip = embeddingFiles(catalog);
  const gguf = readdirSync(directory).filter((file) => file.endsWith('.gguf') && !skip.has(file)).sort();
  return gguf[0] ? join(directory, gguf[0]) : null;
}

export interface SettingsFlags {
  model?: string;
  dataDir?: string;
  gpu?: string;
  threads?: string;
  slots?: string;
  context?: string;
  gpuLayers?: string;
  kv?: string;
  embeddingModel?: string;
  quantum?: string;
  swap?: string;
  /** `--no-resume`: recovered processes wait suspended. */
  noResume?: boolean;
}

function positiveInt(name: string, value: string | number | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return number;
}

function gpuLayersSetting(value: string | number | undefined): { gpuLayers?: number | 'auto' } {
  if (value === undefined || value === 'auto') return {};
  const layers = Number(value);
  if (!Number.isInteger(layers) || layers < 0) throw new Error(`--gpu-layers must be auto or a whole number, got "${value}"`);
  return { gpuLayers: layers };
}

function kvTypeSetting(value: string | undefined): { kvType?: KvType } {
  if (value === undefined) return {};
  const parsed = KvType.safeParse(value);
  if (!parsed.success) throw new Error(`--kv must be f16, q8_0 or q4_0, got "${value}"`);
  return { kvType: parsed.data };
}

/** Whether boot resumes recovered processes: `--no-resume`, then AMK_NO_RESUME, then `resumeOnBoot` in config.json. */
function recoverySetting(flag: boolean | undefined, env: string | undefined, file: unknown): 'resume' | 'suspend' {
  if (flag) return 'suspend';
  if (env !== undefined && env !== '') {
    if (!['0', '1', 'true', 'false'].includes(env)) throw new Error(`AMK_NO_RESUME must be 1 or 0, got "${env}"`);
    return env === '1' || env === 'true' ? 'suspend' : 'resume';
  }
  if (file !== undefined && typeof file !== 'boolean') throw new Error(`resumeOnBoot in config.json must be true or false, got ${JSON.stringify(file)}`);
  return file === false ? 'suspend' : 'resume';
}

/** Resolves the kernel's configuration: flags, then AMK_* variables, then config.json, then defaults. */
export function resolveKernelConfig(flags: SettingsFlags, env: NodeJS.ProcessEnv = process.env): KernelConfig {
  const dataDir = flags.dataDir ? resolve(flags.dataDir) : defaultDataDir(env);
  const file = readSettingsFile(dataDir);
  const gpu = (flags.gpu ?? env.AMK_GPU ?? file.gpu ?? 'auto') as GpuChoice;
  if (!(GPU_CHOICES as readonly string[]).includes(gpu)) throw new Error(`--gpu must be one of ${GPU_CHOICES.join(', ')}, got "${gpu}"`);
  const catalog = catalogPath(env);
  const model = flags.model ?? env.AMK_MODEL ?? file.model ?? installedModel(dataDir, catalog);
  const threads = positiveInt('--threads', flags.threads ?? env.AMK_THREADS, file.threads);
  const swap = flags.swap ?? env.AMK_SWAP ?? file.swap ?? DEFAULT_SCHEDULER.swap;
  if (swap !== 'ram' && swap !== 'disk') throw new Error(`--swap must be ram or disk, got "${swap}"`);
  const swapPolicy = env.AMK_SWAP_POLICY ?? file.swapPolicy;
  if (swapPolicy !== undefined && swapPolicy !== 'on-demand' && swapPolicy !== 'idle') throw new Error(`AMK_SWAP_POLICY must be on-demand or idle, got "${swapPolicy}"`);
  const scheduler: SchedulerConfig = {
    policy: 'fair-share',
    quantumTokens: positiveInt('--quantum', flags.quantum ?? env.AMK_QUANTUM, file.quantumTokens ?? DEFAULT_SCHEDULER.quantumTokens)!,
    swap,
    ...(swapPolicy ? { swapPolicy } : {}),
  };
  const maxUploadBytes = positiveInt('AMK_MAX_UPLOAD_BYTES', env.AMK_MAX_UPLOAD_BYTES, file.maxUploadBytes);
  const bwrapPath = env.AMK_BWRAP || file.bwrapPath;
  return {
    dataDir,
    modelPath: model ? resolve(model) : null,
    ...(maxUploadBytes === undefined ? {} : { maxUploadBytes }),
    ...(bwrapPath ? { bwrapPath: resolve(bwrapPath) } : {}),
    gpu,
    ...(threads === undefined ? {} : { threads }),
    slots: positiveInt('--slots', flags.slots ?? env.AMK_SLOTS, file.slots ?? 4)!,
    contextSize: (flags.context ?? env.AMK_CONTEXT ?? file.contextSize) === 'auto' ? 'auto' : positiveInt('--context', flags.context ?? env.AMK_CONTEXT, (file.contextSize === 'auto' ? undefined : file.contextSize) ?? 4096)!,
    ...gpuLayersSetting(flags.gpuLayers ?? env.AMK_GPU_LAYERS ?? file.gpuLayers),
    ...kvTypeSetting(flags.kv ?? env.AMK_KV ?? file.kvType),
    ...((flags.embeddingModel ?? env.AMK_EMBEDDING_MODEL ?? file.embeddingModel) ? { embeddingModelPath: resolve((flags.embeddingModel ?? env.AMK_EMBEDDING_MODEL ?? file.embeddingModel)!) } : {}),
    scheduler,
    recovery: recoverySetting(flags.noResume, env.AMK_NO_RESUME, file.resumeOnBoot),
    ...(file.localCore === false ? { localCore: false } : {}),
    toolDirs: [join(packageRoot(), 'dist', 'wasm-tools', 'tools')],
    catalogPath: catalog,
    galleryDir: env.AMK_GALLERY_DIR ? resolve(env.AMK_GALLERY_DIR) : join(packageRoot(), 'assets', 'gallery'),
    version: packageVersion(),
  };
}
