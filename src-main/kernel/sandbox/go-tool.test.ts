import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GO_PACKAGES, catalogOf, goPackage } from '../../test-support/go-tool-packages.js';
import { bootTestKernel, tempDir } from '../../test-support/fixtures.js';
import { writeToolPackage } from '../../test-support/tool-packages.js';
import type { InstalledTool, PublisherKey, ToolPackageReview } from '../../../src-shared/index.js';
import { handleKernelRequest } from '../kernel-api.js';
import { packageRoot } from '../../settings.js';
import { loadCatalog, verifyPlugin } from './plugin-catalog.js';
import { PluginPool } from './plugin-pool.js';
import { WASI_FUNCTIONS, WASI_MODULE } from './wasi-subset.js';
import { declaredImports, declaredMemories } from './wasm-memory.js';

// The Go template tool (wasm-tools/sdk-go), built by the standard Go toolchain with Extism's Go PDK
// into an installable package, runs in the same sandbox as the AssemblyScript tools.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const scope = { pid: 1, agentId: 'tester', tool: 'word_freq', granted: [], deadline: Number.MAX_SAFE_INTEGER, maxBytes: 1024, protectedRoots: [], audit: () => {} };
const TEXT = 'The cat sat on the mat. The dog, the well-known dog, did not; don\u2019t ask. DOG!';
const EXPECTED = {
  total: 16,
  distinct: 11,
  top: [
    { word: 'the', count: 4 },
    { word: 'dog', count: 3 },
    { word: 'ask', count: 1 },
  ],
};

describe('the Go template tool package', () => {
  it('ships a module whose memory is bounded by its limit and that imports only the WASI subset', () => {
    const { manifest, bytes } = goPackage(join(GO_PACKAGES, 'word_freq'));
    const [memory, ...others] = declaredMemories(bytes);
    expect(others).toEqual([]);
    expect(memory).toEqual({ initialPages: expect.any(Number), maximumPages: manifest.limits.memoryPages });
    const wasi = declaredImports(bytes).filter((entry) => entry.module === WASI_MODULE);
    expect(wasi.length).toBeGreaterThan(0);
    for (const entry of wasi) expect(WASI_FUNCTIONS).toContain(entry.name);
    expect(verifyPlugin(manifest, bytes)).toBeNull();
  });

  it('the memory step refuses a limit the module cannot start in, and sets any other as the maximum', () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const script = join(packageRoot(), 'wasm-tools', 'sdk-go', 'set-memory-max.mjs');
    const source = join(GO_PACKAGES, 'word_freq', 'plugin.wasm');
    const { bytes } = goPackage(join(GO_PACKAGES, 'word_freq'));
    const initial = declaredMemories(bytes)[0]!.initialPages;
    expect(() => execFileSync(process.execPath, [script, source, join(dir.path, 'small.wasm'), String(initial - 1)], { stdio: 'pipe' })).toThrow(/over the \d+ the tool allows: raise limits.memoryPages/);
    execFileSync(process.execPath, [script, source, join(dir.path, 'big.wasm'), '1000']);
    const rewritten = new Uint8Array(readFileSync(join(dir.path, 'big.wasm')));
    expect(declaredMemories(rewritten)).toEqual([{ initialPages: initial, maximumPages: 1000 }]);
    // Only the memory section changed: the package the other tests run went through the same step.
    expect(declaredImports(rewritten)).toEqual(declaredImports(bytes));
  });

  it('answers a call through the plugin runtime, the same way every time', async () => {
    const { manifest, bytes } = goPackage(join(GO_PACKAGES, 'word_freq'));
    const pool = new PluginPool(manifest, bytes);
    cleanups.push(() => pool.dispose());
    const input = JSON.stringify({ text: TEXT, top: 3 });
    expect(JSON.parse(await pool.call(input, scope))).toEqual({ ok: true, value: EXPECTED });
    expect(JSON.parse(await pool.call(input, scope))).toEqual({ ok: true, value: EXPECTED });
    expect(JSON.parse(await pool.call('{"text": 5}', scope))).toEqual({ ok: false, error: expect.stringContaining('invalid arguments') });
    const short = { total: 2, distinct: 2, top: [{ word: "don't", count: 1 }] };
    expect(JSON.parse(await pool.call(JSON.stringify({ text: TEXT, top: 1, minLength: 4 }), scope))).toEqual({ ok: true, value: short });
  });

  it('loads in a kernel beside the built-in tools, and an agent\'s call gets its answer', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const toolDir = tempDir();
    cleanups.push(toolDir.dispose);
    const tools = catalogOf([goPackage(join(GO_PACKAGES, 'word_freq'))], toolDir.path);
    expect(loadCatalog(tools).refused).toEqual([]);
    const kernel = await bootTestKernel(dir.path, { toolDirs: [join(packageRoot(), 'dist', 'wasm-tools', 'tools'), tools] });
    cleanups.push(() => kernel.dispose());
    const call = { pid: 1, agentId: 'tester', agentName: 'Tester', policy: 'strict' as const, signal: new AbortController().signal };
    expect(await kernel.tools.invoke('word_freq', { text: TEXT, top: 3 }, call)).toEqual(EXPECTED);
    // The kernel validates the arguments against tool.json's schema before the plugin sees them.
    await expect(kernel.tools.invoke('word_freq', { text: TEXT, top: 1000 }, call)).rejects.toThrow();
  });
});

describe('the Go package through the public install path', () => {
  it('is signed, staged for review, installed over the API, and answers an agent\'s tool call', async () => {
    const built = join(GO_PACKAGES, 'word_freq');
    goPackage(built);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signer = { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publisher: 'Template Publisher' };
    const pkg = tempDir('amk-pkg-');
    cleanups.push(pkg.dispose);
    writeToolPackage(pkg.path, { toolJson: readFileSync(join(built, 'tool.json')), wasm: readFileSync(join(built, 'plugin.wasm')) }, signer);
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const kernel = await bootTestKernel(dir.path);
    cleanups.push(() => kernel.dispose());
    const api = (method: string, params: unknown) => handleKernelRequest(kernel, method, params);
    const key = (await api('tools.keys.trust', { publisher: 'Template Publisher', publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString() })) as PublisherKey;
    const review = (await api('tools.stage', { path: pkg.path })) as ToolPackageReview;
    expect(review).toMatchObject({ name: 'word_freq', signature: 'trusted', keyId: key.id, wasi: true, hostFunctions: [], requires: [], problems: [] });
    expect(kernel.tools.has('word_freq')).toBe(false);
    const installed = (await api('tools.install', { reviewId: review.reviewId })) as InstalledTool;
    expect(installed).toMatchObject({ name: 'word_freq', source: 'installed', signature: 'trusted', publisher: 'Template Publisher' });
    const call = { pid: 1, agentId: 'tester', agentName: 'Tester', policy: 'strict' as const, signal: new AbortController().signal };
    expect(await kernel.tools.invoke('word_freq', { text: TEXT, top: 3 }, call)).toEqual(EXPECTED);
  });
});
