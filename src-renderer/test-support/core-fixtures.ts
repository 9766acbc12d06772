import { vi } from 'vitest';
import type { CoreInfo, KernelClient, RemoteCoreConfig } from '../../src-shared/index.js';

/** Test data for the cores UI: shaped by the contract, filled with plain values. */

export function coreInfo(name: string, overrides: Partial<CoreInfo> = {}): CoreInfo {
  return {
    name,
    kind: 'llama-server',
    url: `http://127.0.0.1:8080`,
    health: 'up',
    reason: null,
    model: 'stories260K.gguf',
    slots: 2,
    busySlots: 0,
    queued: 0,
    latencyMs: 3,
    capabilities: { kvSaveRestore: true, slotPinning: true, grammar: true },
    tokenEnv: null,
    ...overrides,
  };
}

export const localCore = (): CoreInfo =>
  coreInfo('local', { kind: 'local', url: null, slots: 4, latencyMs: null });

/**
 * A kernel client that answers the cores methods from a list it keeps, as the kernel would: an add
 * appends the core (up), a removal drops it. `refuse` makes the next call of a method fail.
 */
export function coresKernel(initial: CoreInfo[]) {
  let cores = [...initial];
  const refusals = new Map<string, Error>();
  const call = vi.fn(async (method: string, params: Record<string, unknown>): Promise<unknown> => {
    const refusal = refusals.get(method);
    if (refusal) {
      refusals.delete(method);
      throw refusal;
    }
    switch (method) {
      case 'cores.list':
        return cores;
      case 'cores.add': {
        const config = params as unknown as RemoteCoreConfig;
        const added = coreInfo(config.name, {
          kind: config.kind,
          url: config.url,
          tokenEnv: config.tokenEnv ?? null,
          capabilities: config.kind === 'openai' ? { kvSaveRestore: false, slotPinning: false, grammar: true } : { kvSaveRestore: true, slotPinning: true, grammar: true },
        });
        cores = [...cores, added];
        return added;
      }
      case 'cores.remove':
        cores = cores.filter((core) => core.name !== params.name);
        return { ok: true };
      default:
        throw new Error(`no ${method} in this test`);
    }
  });
  const client = { call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient;
  return { client, call, refuse: (method: string, error: Error) => refusals.set(method, error), cores: () => cores };
}
