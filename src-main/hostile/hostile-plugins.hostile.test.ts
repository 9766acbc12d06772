import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolPackageReview } from '../../src-shared/index.js';
import { handleKernelRequest, type Kernel } from '../kernel/index.js';
import { bootTestKernel, callToolAsAgent, tempDir } from '../test-support/fixtures.js';
import { GO_FIXTURES } from '../test-support/go-tool-packages.js';
import { startHttpFixture, type HttpFixture } from '../test-support/http-fixture.js';
import { builtToolPackage, installToolPackage, writeToolPackage } from '../test-support/tool-packages.js';

// Every hostile plugin as a third party ships it: a package (tool.json + plugin.wasm) under a name of
// its own, staged and installed through the public API, then called as an agent's tool call. After
// each class of attack: the call failed with a clear error, the built-in calculator still answers,
// the process's peak RSS grew by less than RSS_BOUND, the audit chain verifies, and the kernel
// reboots on the same data directory with every installed tool re-verified and no new warning.
const MIB = 1024 * 1024;
/** The stated bound: how far the test process's peak RSS may rise over the whole file. */
const RSS_BOUND = 512 * MIB;

let home: string;
let dataDir: string;
let kernel: Kernel;
let http: HttpFixture;
let baselineRss = 0;
let bootWarnings: string[] = [];
const installed: string[] = [];
const disposers: (() => unknown)[] = [];

beforeAll(async () => {
  const dir = tempDir('amk-hostile-plugins-');
  disposers.push(dir.dispose);
  // The data directory inside a folder the tests grant, so that reaching into it is tried for real.
  home = dir.path;
  dataDir = join(home, 'data');
  mkdirSync(dataDir);
  kernel = await bootTestKernel(dataDir, { grantTimeoutMs: 2_000 });
  bootWarnings = kernel.info().warnings;
  http = await startHttpFixture();
  disposers.push(http.close);
  await stillServes();
  baselineRss = process.memoryUsage.rss();
});

afterAll(async () => {
  await kernel?.dispose();
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

const api = (method: string, params: unknown) => handleKernelRequest(kernel, method, params);

/** A tool call as the syscall layer makes it for an agent. */
function call(tool: string, args: Record<string, unknown>) {
  return callToolAsAgent(kernel, tool, args);
}

async function stillServes(): Promise<void> {
  expect(await call('calculator', { expression: '6*7' })).toEqual({ value: 42 });
}

/** A package folder of a built hostile fixture (or a Go fixture's folder), renamed `name`. */
function packageOf(fixture: string, name: string): string {
  const files = fixture.startsWith('go_')
    ? (() => {
        const manifest = JSON.parse(readFileSync(join(GO_FIXTURES, fixture, 'tool.json'), 'utf8')) as Record<string, unknown>;
        return { toolJson: Buffer.from(JSON.stringify({ ...manifest, name })), wasm: readFileSync(join(GO_FIXTURES, fixture, 'plugin.wasm')) };
      })()
    : builtToolPackage(`fixture_${fixture}`, name, 'fixtures');
  return writeToolPackage(join(home, 'packages', name), files);
}

async function install(fixture: string, name: string): Promise<void> {
  const { review, installed: tool } = await installToolPackage(kernel, { path: packageOf(fixture, name) }, true);
  expect(review).toMatchObject({ name, signature: 'unsigned', problems: [] });
  expect(tool).toMatchObject({ name, source: 'installed', signature: 'unsigned' });
  installed.push(name);
}

/** After each class: still serving, memory bounded, the audit chain whole, and a clean reboot. */
async function contained(): Promise<void> {
  await stillServes();
  const peak = process.resourceUsage().maxRSS * 1024;
  expect(peak - baselineRss).toBeLessThan(RSS_BOUND);
  expect(await handleKernelRequest(kernel, 'audit.verify', {})).toMatchObject({ ok: true, problem: null });
  await kernel.dispose();
  kernel = await bootTestKernel(dataDir, { grantTimeoutMs: 2_000 });
  expect(kernel.info().warnings).toEqual(bootWarnings);
  for (const name of installed) expect(kernel.tools.has(name)).toBe(true);
  expect(await kernel.audit.verify()).toMatchObject({ ok: true, problem: null });
  await stillServes();
}

describe('hostile plugins installed through the public install path are contained', () => {
  it('imports outside what the sandbox provides are refused at review, naming the import', async () => {
    const cases: [string, string, RegExp][] = [
      ['wasi', 'pkg_wasi', /"wasi_snapshot_preview1" "path_open" from WASI, outside the subset/],
      ['badimport', 'pkg_badimport', /"env" "steal_secrets", which the sandbox does not provide/],
      ['go_readfile', 'pkg_go_readfile', /from WASI, outside the subset the sandbox provides \(no files, environment or sockets\).*path_open/],
    ];
    for (const [fixture, name, problem] of cases) {
      const review = (await api('tools.stage', { path: packageOf(fixture, name) })) as ToolPackageReview;
      expect(review.problems).toEqual([expect.stringMatching(problem)]);
      await expect(api('tools.install', { reviewId: review.reviewId, allowUnsigned: true })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('cannot be installed') });
      expect(kernel.tools.has(name)).toBe(false);
      await expect(call(name, {})).rejects.toMatchObject({ code: 'UNKNOWN_TOOL' });
    }
    await contained();
  });

  it('a trap in the start function, a trap, a spin and a memory bomb fail their calls', async () => {
    await install('starttrap', 'pkg_starttrap');
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(call('pkg_starttrap', {})).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/pkg_starttrap could not start: .*unreachable/) });
    }
    expect(kernel.audit.query({ name: 'pkg_starttrap', kind: 'tool' }).map((record) => record.outcome)).toEqual(['error', 'error']);
    await install('trap', 'pkg_trap');
    await expect(call('pkg_trap', {})).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('unreachable') });
    await install('spin', 'pkg_spin');
    await expect(call('pkg_spin', {})).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('500 ms time budget') });
    await install('membomb', 'pkg_membomb');
    await expect(call('pkg_membomb', {})).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('pkg_membomb crashed') });
    await contained();
  });

  it('host memory outside linear memory (blocks, vars, output) is refused before it is allocated', async () => {
    await install('hostbomb', 'pkg_hostbomb');
    await expect(call('pkg_hostbomb', { mode: 'alloc' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringMatching(/asked for 134217728 bytes of host memory, over what is left .* budget for one call/),
    });
    await expect(call('pkg_hostbomb', { mode: 'vars' })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/var memory limit exceeded|bytes of host memory/) });
    await expect(call('pkg_hostbomb', { mode: 'output' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringContaining('pkg_hostbomb produced 50331648 bytes of output, over its 65536-byte limit'),
    });
    await install('flood', 'pkg_flood');
    await expect(call('pkg_flood', {})).rejects.toMatchObject({ message: expect.stringMatching(/produced \d+ bytes of output, over its 65536-byte limit/) });
    await contained();
  });

  it('host-function arguments of any size or type are bounded and validated', async () => {
    await install('hostargs', 'pkg_hostargs');
    const error = await call('pkg_hostargs', { mode: 'bigarg' }).catch((caught: Error) => caught);
    expect(error).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/kernel_env was passed \d+ bytes, over the 1048576-byte limit/) });
    expect((error as Error).message.length).toBeLessThan(4096);
    await expect(call('pkg_hostargs', { mode: 'longkey' })).rejects.toMatchObject({ message: expect.stringContaining('key is 307200 characters long, over the limit of 256') });
    for (const record of kernel.audit.query({})) expect(JSON.stringify(record).length).toBeLessThan(4096);
    await expect(call('pkg_hostargs', { mode: 'denyloop' })).rejects.toMatchObject({ message: expect.stringContaining('not granted env:AMK_NOT_GRANTED') });
    const denials = kernel.audit.query({ kind: 'capability', outcome: 'denied' }).filter((record) => record.capability === 'env:AMK_NOT_GRANTED');
    expect(denials.map((record) => record.reason)).toEqual([
      'pkg_hostargs was not granted env:AMK_NOT_GRANTED',
      'pkg_hostargs was not granted env:AMK_NOT_GRANTED (repeated: 2000 times in this call)',
    ]);
    await expect(call('pkg_hostargs', { mode: 'nan-k' })).rejects.toMatchObject({ message: expect.stringContaining('k must be a whole number from 1 to 20') });
    for (const mode of ['str-maxbytes', 'inf-maxbytes', 'neg-maxbytes']) {
      await expect(call('pkg_hostargs', { mode, url: 'http://127.0.0.1:9/' })).rejects.toMatchObject({ message: expect.stringContaining('maxBytes must be a whole number of bytes') });
    }
    await contained();
  });

  it('a plugin granted a folder cannot reach the data directory in it, nor send paths past the limits', async () => {
    await install('rawfs', 'pkg_rawfs');
    await kernel.sandbox.grant('tester', '*', `fs:read:${home}`, 'session');
    await expect(call('pkg_rawfs', { path: home, request: { op: 'read', path: join(dataDir, 'keys', 'kernel.key') } })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringMatching(/inside the kernel's data directory/),
    });
    await expect(call('pkg_rawfs', { path: home, request: { op: 'read', path: home + '/a'.repeat(8000) } })).rejects.toMatchObject({
      message: expect.stringMatching(/limited to 4096 bytes|over the limit of 4096/),
    });
    await expect(call('pkg_rawfs', { path: home, request: { op: 'list', path: home + '/a'.repeat(100) } })).rejects.toMatchObject({ message: expect.stringMatching(/limited to 64 components/) });
    await expect(call('pkg_rawfs', { path: home, request: { op: 'read', path: 42 } })).rejects.toMatchObject({ message: expect.stringMatching(/path must be a (non-empty )?string/) });
    await contained();
  });

  it('a plugin granted a host cannot reach another, nor disable the response cap', async () => {
    await install('rawhttp', 'pkg_rawhttp');
    await install('sneaky', 'pkg_sneaky');
    await kernel.sandbox.grant('tester', '*', `net:127.0.0.1:${http.port}`, 'session');
    const raw = (request: Record<string, unknown>) => call('pkg_rawhttp', { url: http.url, request: { method: 'GET', url: `${http.url}/big`, ...request } });
    for (const maxBytes of ['x', -1, 1e300, {}] as unknown[]) {
      await expect(raw({ maxBytes })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/maxBytes must be a whole number of bytes/) });
    }
    await expect(raw({ method: 'DELETE' })).rejects.toMatchObject({ message: expect.stringMatching(/method must be GET or POST/) });
    await expect(call('pkg_sneaky', { url: `${http.url}/ok` })).rejects.toMatchObject({ message: expect.stringContaining('not granted net:exfiltrate.invalid') });
    expect(http.requests.filter((request) => !request.startsWith('GET /big'))).toEqual([]);
    await contained();
  });

  it('a Go plugin gets nothing of the host through WASI, and its panics and heap fail only its call', async () => {
    await install('go_snoop', 'pkg_go_snoop');
    expect(await call('pkg_go_snoop', { mode: 'snoop' })).toEqual({
      environ: [],
      home: '',
      args: [],
      wrote: 2 * 1024 * 1024,
      kernelEnv: 'denied: pkg_go_snoop was not granted env:HOME',
      slept: true,
    });
    await expect(call('pkg_go_snoop', { mode: 'panic' })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('(stderr: panic: the fixture panicked on purpose') });
    await expect(call('pkg_go_snoop', { mode: 'grow' })).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('(stderr: fatal error: out of memory') });
    await contained();
  });
});
