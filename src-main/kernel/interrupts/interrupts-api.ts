import type { AgentManifest, InterruptBinding, InterruptTrigger } from '../../../src-shared/index.js';
import type { ApiRegistry } from '../core/api-registry.js';
import { KernelError } from '../core/kernel-error.js';
import type { InterruptController } from './interrupt-controller.js';

/** Binds an interrupt-handler agent to its manifest's trigger, or to the one given. */
export function bindHandler(interrupts: InterruptController, manifest: AgentManifest, trigger: InterruptTrigger | undefined, maxPerSecond?: number): InterruptBinding {
  if (manifest.kind !== 'interrupt-handler') {
    throw new KernelError('INVALID_REQUEST', `agent "${manifest.id}" is ${manifest.kind}, not an interrupt-handler`);
  }
  const chosen = trigger ?? manifest.trigger;
  if (!chosen) throw new KernelError('INVALID_REQUEST', `agent "${manifest.id}" has no trigger and none was given`);
  try {
    return interrupts.bind(manifest.id, chosen, maxPerSecond);
  } catch (error) {
    if (error instanceof KernelError) throw error;
    throw new KernelError('INVALID_REQUEST', `cannot arm ${chosen.source} trigger: ${(error as Error).message}`);
  }
}

export function registerInterruptsApi(registry: ApiRegistry, interrupts: InterruptController, resolveManifest: (agentId: string) => AgentManifest): void {
  registry.register({
    'interrupts.list': () => interrupts.list(),
    'interrupts.bind': (params) => bindHandler(interrupts, resolveManifest(params.agent), params.trigger, params.maxPerSecond),
    'interrupts.unbind': (params) => (interrupts.unbind(params.bindingId), { ok: true }),
    'interrupts.raise': (params) => {
      if (params.source === 'abort') {
        interrupts.abort(params.pid);
        return { dispatched: [], coalesced: 0 };
      }
      return interrupts.raiseUserInput(params.text);
    },
  });
}
