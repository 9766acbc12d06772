import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GO_FIXTURES, catalogOf, goPackage } from '../test-support/go-tool-packages.js';
import { bootTestKernel, callToolAsAgent, tempDir } from '../test-support/fixtures.js';
import { packageRoot } from '../settings.js';
import type { Kernel } from '../kernel/index.js';
import { loadCatalog } from '../kernel/sandbox/index.js';
import { PluginPool } from '../kernel/sandbox/plugin-pool.js';

// Go plugins (built by the standard toolchain) import WASI; the kernel gives them a subset with
// nothing behind it. These fixtures look for the environment, arguments, files and the process's
// stdout through it, and fail in the Go runtime's own ways (a panic, an out-of-memory heap).
const TOOLS = join(packageRoot(), 'dist', 'wasm-tools', 'tools');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function fixtureDir(...names: string[]): string {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  return catalogOf(names.map((name) => goPackage(join(GO_FIXTURES, name))), dir.path);
}

async function goKernel(): Promise<Kernel> {
  const dir = tempDir();
  cleanups.push(dir.dispose);
  const kernel = await bootTestKernel(dir.path, { toolDirs: [TOOLS, fixtureDir('go_snoop', 'go_readfile')] });
  cleanups.push(() => kernel.dispose());
  return kernel;
}

const call = callToolAsAgent;

async function stillServes(kernel: Kernel): Promise<void> {
  expect(await call(kernel, 'calculator', { expression: '6*7' })).toEqual({ value: 42 });
}

describe('the WASI subset gives a Go plugin nothing of the host', () => {
  it('no environment, no arguments, no kernel variable without a grant; its 2 MiB of stdout and stderr go nowhere', async () => {
    expect(process.env.HOME ?? process.env.PATH).toBeTruthy();
    const kernel = await goKernel();
    expect(await call(kernel, 'fixture_go_snoop', { mode: 'snoop' })).toEqual({
      environ: [],
      home: '',
      args: [],
      wrote: 2 * 1024 * 1024,
      kernelEnv: 'denied: fixture_go_snoop was not granted env:HOME',
      slept: true,
    });
    expect(kernel.audit.query({ name: 'environment' }).map((record) => record.outcome)).toEqual(['denied']);
    await stillServes(kernel);
  });

  it('a plugin that opens a file is refused at load, naming every WASI function outside the subset', async () => {
    const { refused } = loadCatalog(fixtureDir('go_readfile'));
    expect(refused).toEqual([{ tool: 'fixture_go_readfile', reason: expect.stringMatching(/from WASI, outside the subset the sandbox provides \(no files, environment or sockets\).*path_open/) }]);
    const kernel = await goKernel();
    expect(kernel.tools.has('fixture_go_readfile')).toBe(false);
    expect(kernel.info().warnings).toContainEqual(expect.stringContaining('fixture_go_readfile'));
    // Past the catalog, the worker's WASI has no path_open to link: the plugin cannot start.
    const { manifest, bytes } = goPackage(join(GO_FIXTURES, 'go_readfile'));
    const pool = new PluginPool(manifest, bytes);
    cleanups.push(() => pool.dispose());
    const scope = { pid: 1, agentId: 'tester', tool: manifest.name, granted: [], deadline: Number.MAX_SAFE_INTEGER, maxBytes: 1024, protectedRoots: [], audit: () => {} };
    await expect(pool.call('{}', scope)).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/could not start: .*"wasi_snapshot_preview1" .*does not contain "fd_read"/) });
    await stillServes(kernel);
  });

  it('a panic and a heap past the declared maximum fail only that call, in the runtime\'s words', async () => {
    const kernel = await goKernel();
    await expect(call(kernel, 'fixture_go_snoop', { mode: 'panic' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringContaining('(stderr: panic: the fixture panicked on purpose'),
    });
    // 64 MiB asked of a module whose memory may not grow past 256 pages (16 MiB).
    await expect(call(kernel, 'fixture_go_snoop', { mode: 'grow' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringContaining('(stderr: fatal error: out of memory'),
    });
    expect(await call(kernel, 'fixture_go_snoop', { mode: 'snoop' })).toMatchObject({ environ: [], slept: true });
    await stillServes(kernel);
  });
});
