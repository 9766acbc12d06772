import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstalledTool, PublisherKey, ToolPackageReview } from '../../src-shared/index.js';
import { handleKernelRequest, type Kernel } from '../kernel/index.js';
import { startKernelServer } from '../server/index.js';
import { packageRoot } from '../settings.js';
import { bootTestKernel, callToolAsAgent, tempDir } from '../test-support/fixtures.js';
import { buildTarGz, buildZip, builtToolPackage, installToolPackage, writeToolPackage } from '../test-support/tool-packages.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function boot(dataDir?: string): Promise<{ kernel: Kernel; dataDir: string }> {
  let path = dataDir;
  if (!path) {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    path = dir.path;
  }
  const kernel = await bootTestKernel(path);
  cleanups.push(() => kernel.dispose());
  return { kernel, dataDir: path };
}

function packageDir(files: { toolJson: Buffer; wasm: Buffer }, signer?: { privateKeyPem: string; publisher: string }): string {
  const dir = tempDir('amk-pkg-');
  cleanups.push(dir.dispose);
  return writeToolPackage(dir.path, files, signer);
}

const call = callToolAsAgent;
const api = (kernel: Kernel, method: string, params: unknown) => handleKernelRequest(kernel, method, params);
const stillAnswers = async (kernel: Kernel) => expect(await call(kernel, 'calculator', { expression: '6*7' })).toEqual({ value: 42 });

function keyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

describe('installing third-party tools', () => {
  it('stages for review, refuses unsigned without allowUnsigned, installs live, runs for agents, removes', async () => {
    const { kernel, dataDir } = await boot();
    const dir = packageDir(builtToolPackage('calculator', 'calc_plus'));
    const review = (await api(kernel, 'tools.stage', { path: dir })) as ToolPackageReview;
    expect(review).toMatchObject({ name: 'calc_plus', signature: 'unsigned', publisher: null, problems: [], wasi: false, requires: [] });
    await expect(api(kernel, 'tools.install', { reviewId: review.reviewId })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('is not signed') });
    expect(kernel.tools.has('calc_plus')).toBe(false);
    const installed = (await api(kernel, 'tools.install', { reviewId: review.reviewId, allowUnsigned: true })) as InstalledTool;
    expect(installed).toMatchObject({ name: 'calc_plus', source: 'installed', sha256: review.sha256, signature: 'unsigned' });
    expect(await call(kernel, 'calc_plus', { expression: '6*7' })).toEqual({ value: 42 });
    const listed = (await api(kernel, 'tools.installed', {})) as InstalledTool[];
    expect(listed.find((tool) => tool.name === 'calc_plus')?.source).toBe('installed');
    expect(listed.find((tool) => tool.name === 'http_get')).toMatchObject({ source: 'builtin', hostFunctions: expect.arrayContaining(['kernel_http']) });
    // Agents name it like a built-in; a missing tool is named in the refusal.
    const manifest = { id: 'calc-user', name: 'Calc user', description: 'uses calc_plus', systemPrompt: 'Compute.', kind: 'background', tools: ['calc_plus'], model: { maxSteps: 1 } };
    const spawned = kernel.spawn(manifest, 'Compute 6*7.');
    kernel.kill(spawned.pid);
    await kernel.wait(spawned.pid);
    expect(() => kernel.spawn({ ...manifest, tools: ['calc_plus', 'no_such_tool', 'nor_this'] }, 'x')).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOOL', message: expect.stringContaining('no_such_tool, nor_this') }));
    const audit = kernel.audit.query({}).map((record) => record.name);
    expect(audit).toContain('tools.install calc_plus');
    await api(kernel, 'tools.remove', { name: 'calc_plus' });
    expect(existsSync(join(dataDir, 'tools', 'calc_plus'))).toBe(false);
    await expect(call(kernel, 'calc_plus', { expression: '1' })).rejects.toMatchObject({ code: 'UNKNOWN_TOOL' });
    await expect(api(kernel, 'tools.remove', { name: 'calculator' })).rejects.toMatchObject({ message: expect.stringContaining('built-ins cannot be removed') });
    expect(kernel.audit.query({}).map((record) => record.name)).toContain('tools.remove calc_plus');
    await stillAnswers(kernel);
  });

  it('refuses a package shadowing a built-in: calculator still answers', async () => {
    const { kernel } = await boot();
    const review = (await api(kernel, 'tools.stage', { path: packageDir(builtToolPackage('text_stats', 'calculator')) })) as ToolPackageReview;
    expect(review.problems).toEqual([expect.stringContaining('calculator is the name of a built-in tool')]);
    await expect(api(kernel, 'tools.install', { reviewId: review.reviewId, allowUnsigned: true })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('cannot be installed') });
    await stillAnswers(kernel);
  });

  it('installs a package signed by a trusted key; an untrusted key needs allowUnsigned; a broken signature never installs', async () => {
    const { kernel } = await boot();
    const publisher = keyPair();
    const files = builtToolPackage('unit_convert', 'convert_units');
    const signed = packageDir(files, { privateKeyPem: publisher.privateKeyPem, publisher: 'Acme' });
    const untrusted = (await api(kernel, 'tools.stage', { path: signed })) as ToolPackageReview;
    expect(untrusted).toMatchObject({ signature: 'untrusted-key', publisher: 'Acme' });
    await expect(api(kernel, 'tools.install', { reviewId: untrusted.reviewId })).rejects.toMatchObject({ message: expect.stringContaining('do not trust') });
    await api(kernel, 'tools.discard', { reviewId: untrusted.reviewId });
    const key = (await api(kernel, 'tools.keys.trust', { publisher: 'Acme Tools', publicKey: publisher.publicKeyPem })) as PublisherKey;
    expect((await api(kernel, 'tools.keys.list', {})) as PublisherKey[]).toEqual([key]);
    const { review, installed } = await installToolPackage(kernel, { path: signed }, false);
    expect(review).toMatchObject({ signature: 'trusted', publisher: 'Acme Tools', keyId: key.id });
    expect(installed).toMatchObject({ signature: 'trusted', publisher: 'Acme Tools' });
    expect(await call(kernel, 'convert_units', { value: 1, from: 'km', to: 'm' })).toEqual({ value: 1000 });
    // The manifest altered after signing (a wider limit): the signature no longer holds.
    const altered = packageDir(builtToolPackage('unit_convert', 'convert_more'), { privateKeyPem: publisher.privateKeyPem, publisher: 'Acme' });
    writeFileSync(join(altered, 'tool.json'), readFileSync(join(altered, 'tool.json'), 'utf8').replace('"timeMs": 1000', '"timeMs": 9000'));
    const broken = (await api(kernel, 'tools.stage', { path: altered })) as ToolPackageReview;
    expect(broken.signature).toBe('invalid');
    await expect(api(kernel, 'tools.install', { reviewId: broken.reviewId, allowUnsigned: true })).rejects.toMatchObject({ message: expect.stringContaining('signature is invalid') });
    expect(kernel.tools.has('convert_more')).toBe(false);
    await stillAnswers(kernel);
  });

  it('refuses at the next boot a plugin altered after install, and a forged install record', async () => {
    const { kernel, dataDir } = await boot();
    await installToolPackage(kernel, { path: packageDir(builtToolPackage('calculator', 'calc_a')) });
    await installToolPackage(kernel, { path: packageDir(builtToolPackage('calculator', 'calc_b')) });
    await kernel.dispose();
    // calc_a: other plugin bytes under the same record.
    writeFileSync(join(dataDir, 'tools', 'calc_a', 'plugin.wasm'), builtToolPackage('text_stats', 'x').wasm);
    // calc_b: the record rewritten to pin the new bytes, without the kernel's key.
    const other = builtToolPackage('text_stats', 'calc_b');
    writeFileSync(join(dataDir, 'tools', 'calc_b', 'plugin.wasm'), other.wasm);
    const recordPath = join(dataDir, 'tools', 'calc_b', 'install.json');
    const saved = JSON.parse(readFileSync(recordPath, 'utf8')) as { record: { pluginSha256: string } };
    saved.record.pluginSha256 = (await import('node:crypto')).createHash('sha256').update(other.wasm).digest('hex');
    writeFileSync(recordPath, JSON.stringify(saved));
    const { kernel: again } = await boot(dataDir);
    expect(again.tools.has('calc_a')).toBe(false);
    expect(again.tools.has('calc_b')).toBe(false);
    const warnings = again.info().warnings.join('\n');
    expect(warnings).toContain('installed tool calc_a: refused: plugin.wasm does not match the sha256 pinned at install');
    expect(warnings).toContain('installed tool calc_b: refused: its install record fails its integrity check');
    await stillAnswers(again);
    // A refused install can be removed, and the name installed again.
    await api(again, 'tools.remove', { name: 'calc_a' });
    await installToolPackage(again, { path: packageDir(builtToolPackage('calculator', 'calc_a')) });
    expect(await call(again, 'calc_a', { expression: '6*7' })).toEqual({ value: 42 });
  });

  it('refuses hostile archives and pinned fields in the manifest, then stages the next valid package', async () => {
    const { kernel } = await boot();
    const files = builtToolPackage('calculator', 'calc_arch');
    const dir = tempDir('amk-arch-');
    cleanups.push(dir.dispose);
    const write = (name: string, bytes: Buffer): string => (writeFileSync(join(dir.path, name), bytes), join(dir.path, name));
    const traversal = write('t.tar.gz', buildTarGz([{ name: '../tool.json', data: files.toolJson }, { name: 'plugin.wasm', data: files.wasm }]));
    await expect(api(kernel, 'tools.stage', { path: traversal })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('climbs out') });
    const link = write('l.zip', buildZip([{ name: 'tool.json', data: files.toolJson }, { name: 'plugin.wasm', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]));
    await expect(api(kernel, 'tools.stage', { path: link })).rejects.toMatchObject({ message: expect.stringContaining('symbolic link') });
    const pinned = write('p.zip', buildZip([{ name: 'tool.json', data: Buffer.from(JSON.stringify({ ...JSON.parse(files.toolJson.toString()), sha256: 'a'.repeat(64) })) }, { name: 'plugin.wasm', data: files.wasm }]));
    await expect(api(kernel, 'tools.stage', { path: pinned })).rejects.toMatchObject({ message: expect.stringContaining('may not set "sha256"') });
    // A folder whose plugin is a link to another file: refused, the link is not followed.
    const linked = packageDir(files);
    rmSync(join(linked, 'plugin.wasm'));
    symlinkSync(join(packageRoot(), 'dist', 'wasm-tools', 'tools', 'calculator.wasm'), join(linked, 'plugin.wasm'));
    await expect(api(kernel, 'tools.stage', { path: linked })).rejects.toMatchObject({ message: expect.stringContaining('symbolic link') });
    // Plugins the sandbox would refuse: listed as problems in the review, and not installable.
    const unbounded = (await api(kernel, 'tools.stage', { path: packageDir(builtToolPackage('fixture_unbounded', 'unbounded_mem', 'fixtures')) })) as ToolPackageReview;
    expect(unbounded.problems).toEqual([expect.stringContaining('declares no maximum')]);
    const badImport = (await api(kernel, 'tools.stage', { path: packageDir(builtToolPackage('fixture_badimport', 'bad_import', 'fixtures')) })) as ToolPackageReview;
    expect(badImport.problems).toEqual([expect.stringContaining('does not provide')]);
    await expect(api(kernel, 'tools.install', { reviewId: badImport.reviewId, allowUnsigned: true })).rejects.toMatchObject({ message: expect.stringContaining('cannot be installed') });
    const good = write('g.tar.gz', buildTarGz([{ name: 'calc_arch/tool.json', data: files.toolJson }, { name: 'calc_arch/plugin.wasm', data: files.wasm }]));
    const { installed } = await installToolPackage(kernel, { path: good });
    expect(installed.name).toBe('calc_arch');
    expect(await call(kernel, 'calc_arch', { expression: '6*7' })).toEqual({ value: 42 });
  });

  it('downloads packages over https only (http from loopback), size-capped, redirects checked', async () => {
    const { kernel } = await boot();
    const files = builtToolPackage('calculator', 'calc_url');
    const archive = buildTarGz([{ name: 'tool.json', data: files.toolJson }, { name: 'plugin.wasm', data: files.wasm }]);
    const http = createServer((request, response) => {
      if (request.url === '/calc.tar.gz') return void response.end(archive);
      if (request.url === '/away') return void response.writeHead(302, { location: 'http://example.com/calc.tar.gz' }).end();
      // Endless: a body past the cap is cut off while streaming.
      response.writeHead(200);
      const chunk = Buffer.alloc(1024 * 1024, 1);
      const pump = (): void => void (response.write(chunk) ? setImmediate(pump) : response.once('drain', pump));
      response.on('error', () => {});
      pump();
    });
    http.on('error', () => {});
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => (http.closeAllConnections(), http.close(resolve))));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    await expect(api(kernel, 'tools.stage', { url: 'http://example.com/calc.tar.gz' })).rejects.toMatchObject({ message: expect.stringContaining('https only') });
    await expect(api(kernel, 'tools.stage', { url: `${base}/away` })).rejects.toMatchObject({ message: expect.stringContaining('https only') });
    await expect(api(kernel, 'tools.stage', { url: `${base}/endless` })).rejects.toMatchObject({ message: expect.stringContaining('is over') });
    const { installed } = await installToolPackage(kernel, { url: `${base}/calc.tar.gz` });
    expect(installed.name).toBe('calc_url');
    expect(await call(kernel, 'calc_url', { expression: '6*7' })).toEqual({ value: 42 });
  });

  it('takes uploads only with the administrator token, capped, and stages them', async () => {
    const { kernel } = await boot();
    const renderer = tempDir();
    cleanups.push(renderer.dispose);
    const server = await startKernelServer({ kernel, port: 0, rendererDir: renderer.path });
    cleanups.push(() => server.close());
    const files = builtToolPackage('calculator', 'calc_up');
    const zip = buildZip([{ name: 'tool.json', data: files.toolJson }, { name: 'plugin.wasm', data: files.wasm }]);
    const put = (body: Buffer, token: string | null) =>
      fetch(`${server.url}/tools/upload?name=calc.zip`, { method: 'PUT', headers: token ? { authorization: `Bearer ${token}` } : {}, body });
    expect((await put(zip, null)).status).toBe(401);
    const bomb = await put(buildZip([{ name: 'plugin.wasm', data: Buffer.alloc(8 * 1024 * 1024) }]), server.token);
    expect(bomb.status).toBe(400);
    expect(((await bomb.json()) as { error: { message: string } }).error.message).toContain('compression bomb');
    const accepted = await put(zip, server.token);
    expect(accepted.status).toBe(201);
    const review = (await accepted.json()) as ToolPackageReview;
    expect(review).toMatchObject({ name: 'calc_up', signature: 'unsigned', problems: [] });
    await api(kernel, 'tools.install', { reviewId: review.reviewId, allowUnsigned: true });
    expect(await call(kernel, 'calc_up', { expression: '6*7' })).toEqual({ value: 42 });
  });
});
