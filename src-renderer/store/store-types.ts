import type { StateCreator } from 'zustand';
import type { AgentManifest, KernelEvent, KernelInfo, ProcessInfo } from '../../src-shared/index.js';
import type { ConsoleSlice } from './console.slice.js';
import type { GallerySlice } from './gallery.slice.js';
import type { KernelSlice } from './kernel.slice.js';
import type { ProcessesSlice } from './processes.slice.js';
import type { UiSlice } from './ui.slice.js';

/** What the bridge reads from the kernel before it starts streaming events. */
export interface KernelSnapshot {
  info: KernelInfo;
  processes: readonly ProcessInfo[];
  agents: readonly AgentManifest[];
}

/** The store's only way in from the kernel: snapshots and the event stream, both from the bridge. */
export interface EventsSlice {
  /** Replaces everything the kernel owns with a fresh read ('events/snapshot'). */
  loadSnapshot(snapshot: KernelSnapshot): void;
  /** Replaces the process table after the bus dropped events ('events/resync'). */
  resyncProcesses(processes: readonly ProcessInfo[]): void;
  /** Folds a batch of kernel events into every slice in one update ('events/ingest'). */
  ingest(events: readonly KernelEvent[]): void;
}

export type KernelStore = ProcessesSlice & KernelSlice & GallerySlice & ConsoleSlice & UiSlice & EventsSlice;

export type StoreMutators = [['zustand/devtools', never]];

/** A typed slice of the kernel store; middleware is applied once, on the combined store. */
export type SliceCreator<Slice> = StateCreator<KernelStore, StoreMutators, [], Slice>;
