// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { KernelCallError } from '../../src-shared/index.js';
import { coreInfo, coresKernel, localCore } from '../test-support/core-fixtures.js';
import { kernelInfo, processInfo, stamp } from '../test-support/kernel-fixtures.js';
import { capabilityWords, coreCounts } from './cores.slice.js';
import { createKernelStore } from './kernel-store.js';

function connectedStore(initial = [localCore(), coreInfo('gpu-box')]) {
  const store = createKernelStore();
  const kernel = coresKernel(initial);
  store.getState().connectionOpened(kernel.client);
  return { store, kernel };
}

describe('cores slice', () => {
  it('reads the cores, then follows health and load from core.changed events', async () => {
    const { store } = connectedStore();
    await store.getState().refreshCores();
    expect(store.getState().cores.list?.map((core) => core.name)).toEqual(['local', 'gpu-box']);
    expect(coreCounts(store.getState().cores.list)).toEqual({ up: 2, total: 2 });

    store.getState().ingest([
      stamp({ type: 'core.changed', core: coreInfo('gpu-box', { busySlots: 2, queued: 1 }) }),
      stamp({ type: 'core.changed', core: coreInfo('gpu-box', { health: 'down', reason: 'connection refused', busySlots: 0 }) }),
      stamp({ type: 'core.changed', core: coreInfo('second', { health: 'starting' }) }),
    ]);
    const list = store.getState().cores.list!;
    expect(list.map((core) => [core.name, core.health])).toEqual([
      ['local', 'up'],
      ['gpu-box', 'down'],
      ['second', 'starting'],
    ]);
    expect(list[1]!.reason).toBe('connection refused');
    expect(coreCounts(list)).toEqual({ up: 1, total: 3 });

    // Removed from the CLI: the kernel's last word on it is "down, removed", and the row goes.
    store.getState().ingest([stamp({ type: 'core.changed', core: coreInfo('second', { health: 'down', reason: 'removed' }) })]);
    expect(store.getState().cores.list?.map((core) => core.name)).toEqual(['local', 'gpu-box']);
  });

  it('keeps no half list from events that come before the first read', () => {
    const { store } = connectedStore();
    store.getState().ingest([stamp({ type: 'core.changed', core: coreInfo('gpu-box') })]);
    expect(store.getState().cores.list).toBeNull();
    expect(coreCounts(null)).toBeNull();
  });

  it('adds a core with the name of its token variable, never a token, and lists it', async () => {
    const { store, kernel } = connectedStore([localCore()]);
    await store.getState().refreshCores();
    const added = await store.getState().addCore({ name: 'vllm', kind: 'openai', url: 'http://10.0.0.5:8000/v1', tokenEnv: 'VLLM_TOKEN' });
    expect(added).toBe(true);
    expect(kernel.call).toHaveBeenCalledWith('cores.add', { name: 'vllm', kind: 'openai', url: 'http://10.0.0.5:8000/v1', tokenEnv: 'VLLM_TOKEN' });
    const { cores } = store.getState();
    expect(cores.adding).toBe(false);
    expect(cores.list?.map((core) => [core.name, core.tokenEnv])).toEqual([
      ['local', null],
      ['vllm', 'VLLM_TOKEN'],
    ]);
  });

  it('keeps a refused add beside the form, not in the banner, and removes a core', async () => {
    const { store, kernel } = connectedStore();
    await store.getState().refreshCores();
    kernel.refuse('cores.add', new KernelCallError({ code: 'INVALID_REQUEST', message: 'a core named gpu-box already exists' }));
    expect(await store.getState().addCore({ name: 'gpu-box', kind: 'llama-server', url: 'http://127.0.0.1:9000' })).toBe(false);
    expect(store.getState().cores).toMatchObject({ adding: false, addError: 'a core named gpu-box already exists' });
    expect(store.getState().errors).toEqual([]);

    expect(await store.getState().removeCore('gpu-box')).toBe(true);
    expect(kernel.call).toHaveBeenCalledWith('cores.remove', { name: 'gpu-box' });
    expect(store.getState().cores.list?.map((core) => core.name)).toEqual(['local']);

    kernel.refuse('cores.remove', new KernelCallError({ code: 'INVALID_REQUEST', message: 'the local core cannot be removed' }));
    expect(await store.getState().removeCore('local')).toBe(false);
    expect(store.getState().errors.at(-1)?.message).toBe('the local core cannot be removed');
    expect(store.getState().cores.list?.map((core) => core.name)).toEqual(['local']);
  });

  it("follows each process's core from proc.state, and keeps the last one after it stops running", () => {
    const { store } = connectedStore();
    store.getState().loadSnapshot({ info: kernelInfo(), processes: [processInfo(1)], agents: [], tools: [], grants: [], grantRequests: [], audit: [] });
    store.getState().ingest([stamp({ type: 'proc.state', pid: 1, state: 'running', slot: 2, core: 'gpu-box' })]);
    expect(store.getState().processes[1]?.core).toBe('gpu-box');
    store.getState().ingest([stamp({ type: 'proc.state', pid: 1, state: 'waiting', slot: null })]);
    expect(store.getState().processes[1]?.core).toBe('gpu-box');
    // Moved after its core died: the next slice says where it runs now.
    store.getState().ingest([stamp({ type: 'proc.state', pid: 1, state: 'running', slot: 0, core: 'local' })]);
    expect(store.getState().processes[1]?.core).toBe('local');
  });

  it('says in words what a core gives up', () => {
    expect(capabilityWords({ kvSaveRestore: false, slotPinning: false, grammar: true })).toEqual([
      'no KV save/restore: moved agents re-prefill',
      "no slot pinning: relies on the engine's prefix cache",
      'step grammar enforced',
    ]);
    expect(capabilityWords({ kvSaveRestore: true, slotPinning: true, grammar: false })[0]).toBe('KV save/restore: swaps and snapshots keep the prefill');
  });
});
