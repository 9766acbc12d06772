import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolManifest } from '../../src-shared/index.js';
import { bootTestKernel, callToolAsAgent, tempDir } from '../test-support/fixtures.js';
import { packageRoot } from '../settings.js';
import type { Kernel } from '../kernel/index.js';
import { loadCatalog } from '../kernel/sandbox/index.js';
import { PluginPool } from '../kernel/sandbox/plugin-pool.js';

// Hostile plugins against the plugin runtime itself (not the capability checks): modules that
// cannot be instantiated, memory outside linear memory, and host-function arguments of any size.
const TOOLS = join(packageRoot(), 'dist', 'wasm-tools', 'tools');
const FIXTURES = join(packageRoot(), 'dist', 'wasm-tools', 'fixtures');
const MIB = 1024 * 1024;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sandboxKernel(): Promise<Kernel> {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const kernel = await bootTestKernel(dir.path, { toolDirs: [TOOLS, FIXTURES], grantTimeoutMs: 2_000 });
  cleanups.push(() => kernel.dispose());
  return kernel;
}

const call = callToolAsAgent;

async function stillServes(kernel: Kernel): Promise<void> {
  expect(await call(kernel, 'calculator', { expression: '6*7' })).toEqual({ value: 42 });
}

/** A fixture's manifest and bytes straight from the build, past the catalog's checks. */
function unchecked(name: string): { manifest: ToolManifest; bytes: Uint8Array } {
  const catalog = JSON.parse(readFileSync(join(FIXTURES, 'catalog.json'), 'utf8')) as { tools: ToolManifest[] };
  const manifest = catalog.tools.find((tool) => tool.name === `fixture_${name}`)!;
  return { manifest, bytes: new Uint8Array(readFileSync(join(FIXTURES, `${name}.wasm`))) };
}

const scope = { pid: 1, agentId: 'tester', tool: 'x', granted: [], deadline: Number.MAX_SAFE_INTEGER, maxBytes: 1024, protectedRoots: [], audit: () => {} };

describe('plugin memory outside linear memory is bounded', () => {
  // First in the file, so the process's peak RSS before it is this test's baseline.
  it('host blocks, vars and a huge output fail the call; the process stays under its bound', async () => {
    const kernel = await sandboxKernel();
    await stillServes(kernel);
    const baseline = process.memoryUsage.rss();
    // 8 blocks of 128 MiB: refused before the first is allocated.
    await expect(call(kernel, 'fixture_hostbomb', { mode: 'alloc' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringMatching(/asked for 134217728 bytes of host memory, over what is left .* budget for one call/),
    });
    // 512 MiB of vars: the first 2 MiB var is over the var limit, and the blocks run out of budget.
    await expect(call(kernel, 'fixture_hostbomb', { mode: 'vars' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringMatching(/var memory limit exceeded|bytes of host memory/),
    });
    // 48 MiB of output: measured in the worker, never copied to the kernel's thread.
    await expect(call(kernel, 'fixture_hostbomb', { mode: 'output' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringContaining('fixture_hostbomb produced 50331648 bytes of output, over its 65536-byte limit'),
    });
    await stillServes(kernel);
    // Unbounded, this took gigabytes (each block held by the worker, then copied to the main thread).
    const peak = process.resourceUsage().maxRSS * 1024;
    expect(peak - baseline).toBeLessThan(512 * MIB);
  });
});

describe('a plugin that cannot be instantiated never takes the kernel down', () => {
  it('WASI and unknown imports are refused at load, naming the import', async () => {
    const refused = loadCatalog(FIXTURES).refused;
    expect(refused).toContainEqual({ tool: 'fixture_wasi', reason: expect.stringContaining('"wasi_snapshot_preview1" "path_open" from WASI, outside the subset') });
    expect(refused).toContainEqual({ tool: 'fixture_badimport', reason: expect.stringContaining('"env" "steal_secrets", which the sandbox does not provide') });
    const kernel = await sandboxKernel();
    expect(kernel.tools.has('fixture_wasi')).toBe(false);
    expect(kernel.info().warnings).toContainEqual(expect.stringContaining('fixture_badimport'));
    await stillServes(kernel);
  });

  it('a trap in the start function fails the call, every time, and the kernel keeps serving', async () => {
    const kernel = await sandboxKernel();
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(call(kernel, 'fixture_starttrap', {})).rejects.toMatchObject({
        code: 'TOOL_FAILED',
        message: expect.stringMatching(/fixture_starttrap could not start: .*unreachable/),
      });
    }
    expect(kernel.audit.query({ name: 'fixture_starttrap', kind: 'tool' }).map((record) => record.outcome)).toEqual(['error', 'error']);
    await stillServes(kernel);
  });

  it('past the catalog, a worker that fails to instantiate its module is a failed call', async () => {
    for (const name of ['wasi', 'badimport']) {
      const { manifest, bytes } = unchecked(name);
      const pool = new PluginPool(manifest, bytes);
      cleanups.push(() => pool.dispose());
      await expect(pool.call('{}', { ...scope, tool: manifest.name })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('could not start') });
    }
    const kernel = await sandboxKernel();
    await stillServes(kernel);
  });
});

describe('host-function arguments are bounded before they are read', () => {
  it('an oversized argument fails the call without being read, audited or journaled', async () => {
    const kernel = await sandboxKernel();
    const error = await call(kernel, 'fixture_hostargs', { mode: 'bigarg' }).catch((caught: Error) => caught);
    expect(error).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/kernel_env was passed \d+ bytes, over the 1048576-byte limit/) });
    expect((error as Error).message.length).toBeLessThan(4096);
    expect(kernel.audit.query({}).filter((record) => JSON.stringify(record).includes('KKKKKKKK'))).toEqual([]);
    await stillServes(kernel);
  });

  it('an overlong name is refused with its length, and no audit record carries it', async () => {
    const kernel = await sandboxKernel();
    await expect(call(kernel, 'fixture_hostargs', { mode: 'longkey' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringContaining('key is 307200 characters long, over the limit of 256'),
    });
    const records = kernel.audit.query({});
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(JSON.stringify(record).length).toBeLessThan(4096);
    await stillServes(kernel);
  });

  it('the same denial repeated in one call is audited once, with its count', async () => {
    const kernel = await sandboxKernel();
    await expect(call(kernel, 'fixture_hostargs', { mode: 'denyloop' })).rejects.toMatchObject({ message: expect.stringContaining('not granted env:AMK_NOT_GRANTED') });
    const denials = kernel.audit.query({ kind: 'capability', outcome: 'denied' }).filter((record) => record.capability === 'env:AMK_NOT_GRANTED');
    expect(denials.map((record) => record.reason)).toEqual([
      'fixture_hostargs was not granted env:AMK_NOT_GRANTED',
      'fixture_hostargs was not granted env:AMK_NOT_GRANTED (repeated: 2000 times in this call)',
    ]);
    await stillServes(kernel);
  });

  it('numbers that are not numbers are refused, never coerced into a disabled cap', async () => {
    const kernel = await sandboxKernel();
    await expect(call(kernel, 'fixture_hostargs', { mode: 'nan-k' })).rejects.toMatchObject({ message: expect.stringContaining('k must be a whole number from 1 to 20') });
    for (const mode of ['str-maxbytes', 'inf-maxbytes', 'neg-maxbytes']) {
      await expect(call(kernel, 'fixture_hostargs', { mode, url: 'http://127.0.0.1:9/' })).rejects.toMatchObject({ message: expect.stringContaining('maxBytes must be a whole number of bytes') });
    }
    await stillServes(kernel);
  });
});
