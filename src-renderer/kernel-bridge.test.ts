// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KernelClient, KernelEvent, KernelMethod } from '../src-shared/index.js';
import { createKernelBridge } from './kernel-bridge.js';
import { createKernelStore } from './store/kernel-store.js';
import type { KernelConnector } from './transport/kernel-connector.js';
import { grantRequest, kernelInfo, manifest, processInfo, stamp } from './test-support/kernel-fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A kernel on the other end of a connector: answers the snapshot, lets the test push events. */
function fakeKernel({ attachFails = false } = {}) {
  let listener: ((event: KernelEvent) => void) | null = null;
  const calls: KernelMethod[] = [];
  let closeLine: ((reason: string) => void) | null = null;
  const replies: Partial<Record<KernelMethod, unknown>> = {
    'grants.attach': { ok: true },
    'kernel.info': kernelInfo(),
    'proc.list': [processInfo(1, { state: 'running', slot: 0 })],
    'gallery.list': [manifest],
    'tools.list': [],
    'grants.list': [],
    'grants.pending': [grantRequest('r1')],
    'audit.query': [],
  };
  const client: KernelClient = {
    call: (async (method: KernelMethod) => {
      calls.push(method);
      if (method === 'grants.attach' && attachFails) throw new Error('unknown method "grants.attach"');
      // Something happens while the snapshot is read: it must not be lost.
      if (method === 'proc.list') listener?.(stamp({ type: 'proc.state', pid: 1, state: 'waiting', slot: null }));
      return replies[method];
    }) as KernelClient['call'],
    subscribe: (next) => {
      listener = next;
      return () => (listener = null);
    },
    close: vi.fn(),
  };
  const connector: KernelConnector = {
    kind: 'preload',
    initialToken: () => null,
    open: async () => ({ client, onClose: (handler) => (closeLine = handler) }),
  };
  return { connector, client, calls, push: (event: KernelEvent) => listener?.(event), drop: (reason: string) => closeLine?.(reason) };
}

describe('kernel bridge', () => {
  it('attaches as the grant approver before reading the snapshot, and replays what happened meanwhile', async () => {
    const store = createKernelStore();
    const kernel = fakeKernel();
    const bridge = createKernelBridge(store, { connector: kernel.connector });
    await bridge.connect(null);

    expect(kernel.calls[0]).toBe('grants.attach');
    expect(kernel.calls).toEqual(expect.arrayContaining(['kernel.info', 'proc.list', 'gallery.list', 'tools.list', 'grants.list', 'grants.pending', 'audit.query']));
    const state = store.getState();
    expect(state.connection.status).toBe('open');
    expect(state.processes[1]?.state).toBe('waiting');
    expect(state.scheduler.residents).toEqual({ 0: 1 });
    expect(state.sandbox.requests.map((request) => request.id)).toEqual(['r1']);
    bridge.dispose();
  });

  it('still loads the snapshot when the connection cannot become the approver, and says why', async () => {
    const store = createKernelStore();
    const kernel = fakeKernel({ attachFails: true });
    await createKernelBridge(store, { connector: kernel.connector }).connect(null);
    expect(store.getState().info).not.toBeNull();
    expect(store.getState().errors.map((error) => error.message)).toEqual([
      'this window cannot answer grant requests, so the kernel denies them: unknown method "grants.attach"',
    ]);
  });

  it('batches live events into the store and samples token rates twice a second', async () => {
    vi.useFakeTimers();
    const store = createKernelStore();
    const kernel = fakeKernel();
    const bridge = createKernelBridge(store, { connector: kernel.connector });
    await bridge.connect(null);

    for (let index = 0; index < 10; index += 1) kernel.push(stamp({ type: 'proc.output', pid: 1, step: 1, text: 'x' }));
    expect(store.getState().consoles[1]).toBeUndefined();
    await vi.advanceTimersByTimeAsync(40);
    expect(store.getState().consoles[1]?.text).toBe('xxxxxxxxxx');

    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.getState().rates[1]?.length).toBeGreaterThanOrEqual(1);
    bridge.dispose();
    expect(kernel.client.close).toHaveBeenCalled();
  });

  it('says so when the line drops, and asks for a token when a WebSocket page has none', async () => {
    const store = createKernelStore();
    const kernel = fakeKernel();
    const bridge = createKernelBridge(store, { connector: kernel.connector });
    await bridge.connect(null);
    kernel.drop('code 1006');
    expect(store.getState().connection).toEqual({ status: 'closed', reason: 'the connection to the kernel closed (code 1006)' });

    const asking = createKernelStore();
    createKernelBridge(asking, { connector: { kind: 'websocket', initialToken: () => undefined, open: kernel.connector.open } }).start();
    expect(asking.getState().connection.status).toBe('needs-token');
  });
});
