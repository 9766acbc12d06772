import type { CoreCapabilities, CoreInfo, KernelEvent, RemoteCoreConfig } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

export interface CoresState {
  /** The cores the kernel schedules onto, local first; null until the first cores.list read. */
  list: readonly CoreInfo[] | null;
  /** A cores.add on its way: the kernel answers once its first health probe is done. */
  adding: boolean;
  /** Why the last add was refused, shown beside the form (not in the banner). */
  addError: string | null;
}

/** Where inference runs (the Models view's Cores panel, the status bar): fed by cores.list and `core.changed`. */
export interface CoresSlice {
  cores: CoresState;
  refreshCores(): Promise<void>;
  /** Adds a remote core; false (and the reason in `addError`) when the kernel refuses it. */
  addCore(config: RemoteCoreConfig): Promise<boolean>;
  removeCore(name: string): Promise<boolean>;
}

export const emptyCores: CoresState = { list: null, adding: false, addError: null };

/** A core's entry replaced (or appended) by name; the local core stays first, as the kernel lists it. */
function upsert(list: readonly CoreInfo[], core: CoreInfo): readonly CoreInfo[] {
  const index = list.findIndex((entry) => entry.name === core.name);
  if (index < 0) return [...list, core];
  const next = [...list];
  next[index] = core;
  return next;
}

/** The reason the kernel gives in the last `core.changed` of a removed core (core-pool.ts `remove`). */
export const REMOVED_REASON = 'removed';

export function applyCoresEvent(cores: CoresState, event: KernelEvent): CoresState {
  if (event.type !== 'core.changed') return cores;
  // Before the first read the event carries one core only: the read that follows has them all.
  if (cores.list === null) return cores;
  const { core } = event;
  // Removed elsewhere (`amk cores remove`, another window): the row goes, as after this window's own removal.
  if (core.health === 'down' && core.reason === REMOVED_REASON) return { ...cores, list: cores.list.filter((entry) => entry.name !== core.name) };
  return { ...cores, list: upsert(cores.list, core) };
}

/** Cores that answer, and all of them: the status bar's "1/2 up". */
export function coreCounts(list: readonly CoreInfo[] | null): { up: number; total: number } | null {
  if (list === null) return null;
  return { up: list.filter((core) => core.health === 'up').length, total: list.length };
}

/** What a core can and cannot do, in words a user acts on. */
export function capabilityWords(capabilities: CoreCapabilities): string[] {
  return [
    capabilities.kvSaveRestore ? 'KV save/restore: swaps and snapshots keep the prefill' : 'no KV save/restore: moved agents re-prefill',
    capabilities.slotPinning ? 'slot pinning: an agent keeps its cached prefix' : "no slot pinning: relies on the engine's prefix cache",
    capabilities.grammar ? 'step grammar enforced' : 'no step grammar: output is checked after it is generated',
  ];
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const createCoresSlice: SliceCreator<CoresSlice> = (set, get) => {
  const update = (change: Partial<CoresState>, action: string): void => set((state) => ({ cores: { ...state.cores, ...change } }), false, action);
  return {
    cores: emptyCores,
    refreshCores: async () => {
      const list = await get().callKernel('cores.list', {});
      if (list) update({ list }, 'cores/list');
    },
    addCore: async (config) => {
      const client = get().client;
      if (!client) {
        update({ addError: 'not connected to the kernel' }, 'cores/add-failed');
        return false;
      }
      update({ adding: true, addError: null }, 'cores/adding');
      try {
        // Called directly, not through callKernel: the refusal belongs beside the form that was refused.
        const core = await client.call('cores.add', config);
        set((state) => ({ cores: { list: upsert(state.cores.list ?? [], core), adding: false, addError: null } }), false, 'cores/added');
        return true;
      } catch (error) {
        update({ adding: false, addError: messageOf(error) }, 'cores/add-failed');
        return false;
      }
    },
    removeCore: async (name) => {
      const done = await get().callKernel('cores.remove', { name });
      if (!done) return false;
      update({ list: get().cores.list?.filter((core) => core.name !== name) ?? null }, 'cores/removed');
      return true;
    },
  };
};
