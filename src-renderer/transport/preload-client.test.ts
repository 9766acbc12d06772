// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { AmkBridge, KernelEvent } from '../../src-shared/index.js';
import { KernelCallError } from '../../src-shared/index.js';
import { kernelInfo, stamp } from '../test-support/kernel-fixtures.js';
import { createPreloadClient, preloadOf, toKernelCallError } from './preload-client.js';

/** A stand-in for `window.amk`; it answers whatever `reply` says, shaped or not. */
function fakePreload(reply: (method: string, params: unknown) => unknown) {
  const listeners = new Set<(event: unknown) => void>();
  const invoke = vi.fn(async (method: string, params: unknown) => reply(method, params));
  const amk = {
    invoke,
    subscribe: vi.fn((listener: (event: unknown) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }),
  } as unknown as AmkBridge;
  return { amk, invoke, emit: (event: unknown) => listeners.forEach((listener) => listener(event)), listeners };
}

describe('the kernel client over the Electron preload', () => {
  it('is used only when window.amk has both functions', () => {
    expect(preloadOf({})).toBeNull();
    expect(preloadOf({ amk: { invoke: () => undefined } })).toBeNull();
    const amk = { invoke: () => Promise.resolve(), subscribe: () => () => {} };
    expect(preloadOf({ amk })).toBe(amk);
  });

  it('passes calls through and validates what comes back against the contract', async () => {
    const info = kernelInfo();
    const { amk, invoke } = fakePreload((method) => (method === 'kernel.info' ? info : { not: 'a process list' }));
    const client = createPreloadClient(amk);
    await expect(client.call('kernel.info', {})).resolves.toEqual(info);
    expect(invoke).toHaveBeenCalledWith('kernel.info', {});
    await expect(client.call('proc.list', {})).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('proc.list') });
  });

  it('answers the connection methods itself: the window\'s subscription is what makes it the approver', async () => {
    const { amk, invoke } = fakePreload(() => {
      throw { code: 'UNKNOWN_METHOD', message: 'unknown method "grants.attach"' };
    });
    const client = createPreloadClient(amk);
    await expect(client.call('grants.attach', {})).resolves.toEqual({ ok: true });
    expect(invoke).not.toHaveBeenCalled();
  });

  it('turns errors into KernelCallErrors with their code, whether sent as a payload or inside a message', async () => {
    const { amk } = fakePreload((method) => {
      if (method === 'proc.kill') throw { code: 'UNKNOWN_PROCESS', message: 'no process 9' };
      throw new Error(`Error invoking remote method 'amk:invoke': Error: {"code":"INVALID_STATE","message":"process 3 has exited"}`);
    });
    const client = createPreloadClient(amk);
    await expect(client.call('proc.kill', { pid: 9 })).rejects.toMatchObject({ code: 'UNKNOWN_PROCESS', message: 'no process 9' });
    const error = await client.call('proc.suspend', { pid: 3 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(KernelCallError);
    expect(error).toMatchObject({ code: 'INVALID_STATE', message: 'process 3 has exited' });
    expect(toKernelCallError(new Error('plain failure'))).toMatchObject({ code: 'INTERNAL', message: 'plain failure' });
  });

  it('delivers only events that match the contract, and unsubscribes on close', () => {
    const { amk, emit, listeners } = fakePreload(() => undefined);
    const client = createPreloadClient(amk);
    const seen: KernelEvent[] = [];
    client.subscribe((event) => seen.push(event));
    const good = stamp({ type: 'proc.state', pid: 1, state: 'running', slot: 0 });
    emit(good);
    emit({ type: 'proc.state', pid: 'one' });
    expect(seen).toEqual([good]);
    client.close();
    expect(listeners.size).toBe(0);
    return expect(client.call('kernel.info', {})).rejects.toMatchObject({ message: expect.stringContaining('closed') });
  });
});
