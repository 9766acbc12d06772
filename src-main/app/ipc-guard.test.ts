import { afterEach, describe, expect, it } from 'vitest';
import type { Kernel } from '../kernel/index.js';
import { bootTestKernel, tempDir } from '../test-support/fixtures.js';
import { handleBridgeRequest, isTrustedSender } from './ipc-guard.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('main-process IPC validation', () => {
  it('trusts only the app pages', () => {
    expect(isTrustedSender('file:///opt/amk/resources/app.asar/dist/renderer/index.html', '/opt/amk/resources/app.asar')).toBe(true);
    expect(isTrustedSender('file:///home/me/evil.html', '/opt/amk/resources/app.asar')).toBe(false);
    expect(isTrustedSender('file:///opt/amk/resources/app.asar.evil/x.html', '/opt/amk/resources/app.asar')).toBe(false);
    expect(isTrustedSender('https://example.com/', '/opt/amk')).toBe(false);
    // Decoding %2F after the URL parser would make `..` segments it never resolved.
    expect(isTrustedSender('file:///opt/amk/resources/app.asar/..%2F..%2F..%2Fhome/me/evil.html', '/opt/amk/resources/app.asar')).toBe(false);
    expect(isTrustedSender('file:///opt/amk-evil/index.html', '/opt/amk')).toBe(false);
    expect(isTrustedSender('http://localhost:5173/', '/opt/amk', 'http://localhost:5173')).toBe(true);
    expect(isTrustedSender('not a url', '/opt/amk')).toBe(false);
  });

  it('does not run calls from other senders, rejects malformed payloads, validates params, and answers with coded errors', async () => {
    const dir = tempDir();
    cleanups.push(dir.dispose);
    const kernel: Kernel = await bootTestKernel(dir.path);
    cleanups.push(() => kernel.dispose());
    const root = '/opt/amk';
    const page = 'file:///opt/amk/dist/renderer/index.html';
    expect(await handleBridgeRequest(kernel, 'https://evil.example/', root, { method: 'proc.list', params: {} })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN_ORIGIN' },
    });
    expect(await handleBridgeRequest(kernel, page, root, 'proc.list')).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await handleBridgeRequest(kernel, page, root, { method: 'proc.kill', params: { pid: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST', message: expect.stringContaining('pid') },
    });
    expect(await handleBridgeRequest(kernel, page, root, { method: 'proc.list', params: {} })).toEqual({ ok: true, result: [] });
    expect(await handleBridgeRequest(null, page, root, { method: 'proc.list', params: {} })).toMatchObject({ ok: false, error: { code: 'MODEL_NOT_LOADED' } });
  });
});
