import { useStore } from 'zustand';
import { devtools } from 'zustand/middleware';
import { createStore } from 'zustand/vanilla';
import { applyConsoleEvent, createConsoleSlice } from './console.slice.js';
import { applyCoresEvent, createCoresSlice, emptyCores } from './cores.slice.js';
import { createGallerySlice } from './gallery.slice.js';
import { applyKernelEvent, createKernelSlice } from './kernel.slice.js';
import { applyMemoryEvent, createMemorySlice, emptyMemory } from './memory.slice.js';
import { applyMetricsEvent, createMetricsSlice } from './metrics.slice.js';
import { applyModelsEvent, createModelsSlice, emptyModels } from './models.slice.js';
import { applyProcessEvent, createProcessesSlice, processTableOf } from './processes.slice.js';
import { applySandboxEvent, createSandboxSlice, sandboxOf } from './sandbox.slice.js';
import { applySchedulerEvent, createSchedulerSlice, schedulerFromProcesses } from './scheduler.slice.js';
import { createClientTokensSlice } from './tokens.slice.js';
import { createToolsSlice } from './tools.slice.js';
import type { EventsSlice, KernelStore, SliceCreator } from './store-types.js';
import { createUiSlice } from './ui.slice.js';

export type { KernelSnapshot, KernelStore } from './store-types.js';

const createEventsSlice: SliceCreator<EventsSlice> = (set) => ({
  loadSnapshot: ({ info, processes, agents, tools, grants, grantRequests, audit }) =>
    set(
      {
        info,
        processes: processTableOf(processes),
        agents: [...agents],
        tools: [...tools],
        sandbox: sandboxOf(grants, grantRequests, audit),
        deciding: {},
        scheduler: schedulerFromProcesses(processes),
        memory: emptyMemory,
        models: emptyModels,
        cores: emptyCores,
      },
      false,
      'events/snapshot',
    ),
  resync: ({ processes, grants, grantRequests }) =>
    set(
      (state) => ({ processes: processTableOf(processes), sandbox: sandboxOf(grants, grantRequests, state.sandbox.audit) }),
      false,
      'events/resync',
    ),
  ingest: (events) =>
    set(
      (state) => {
        let { processes, consoles, info, droppedEvents, tokenTally, scheduler, memory, sandbox, models, cores } = state;
        for (const event of events) {
          processes = applyProcessEvent(processes, event);
          consoles = applyConsoleEvent(consoles, event);
          info = applyKernelEvent(info, event);
          tokenTally = applyMetricsEvent(tokenTally, event);
          scheduler = applySchedulerEvent(scheduler, event);
          memory = applyMemoryEvent(memory, event);
          sandbox = applySandboxEvent(sandbox, event);
          models = applyModelsEvent(models, event);
          cores = applyCoresEvent(cores, event);
          if (event.type === 'bus.lagged') droppedEvents += event.dropped;
        }
        return { processes, consoles, info, droppedEvents, tokenTally, scheduler, memory, sandbox, models, cores };
      },
      false,
      'events/ingest',
    ),
});

/** A fresh kernel store: the app uses the one below; tests make their own. */
export function createKernelStore() {
  return createStore<KernelStore>()(
    devtools(
      (...args) => ({
        ...createProcessesSlice(...args),
        ...createKernelSlice(...args),
        ...createGallerySlice(...args),
        ...createConsoleSlice(...args),
        ...createMetricsSlice(...args),
        ...createSchedulerSlice(...args),
        ...createMemorySlice(...args),
        ...createSandboxSlice(...args),
        ...createClientTokensSlice(...args),
        ...createModelsSlice(...args),
        ...createCoresSlice(...args),
        ...createToolsSlice(...args),
        ...createUiSlice(...args),
        ...createEventsSlice(...args),
      }),
      { name: 'amk-kernel', enabled: import.meta.env.DEV },
    ),
  );
}

export type KernelStoreApi = ReturnType<typeof createKernelStore>;

export const kernelStore: KernelStoreApi = createKernelStore();

/** Reads the app's kernel store through a selector; pair list selectors with useShallow. */
export function useKernelStore<T>(selector: (state: KernelStore) => T): T {
  return useStore(kernelStore, selector);
}
