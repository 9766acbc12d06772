import type { CoreInfo, RemoteCoreConfig } from '../../src-shared/index.js';
import { fakeKernelClient } from './fake-kernel-client.js';

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
  const { client, call, refuse } = fakeKernelClient((method, params) => {
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
  return { client, call, refuse, cores: () => cores };
}
