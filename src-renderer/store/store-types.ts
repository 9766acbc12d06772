import type { StateCreator } from 'zustand';
import type { AgentManifest, AuditRecord, Grant, GrantRequest, KernelEvent, KernelInfo, ProcessInfo, ToolManifest } from '../../src-shared/index.js';
import type { ConsoleSlice } from './console.slice.js';
import type { CoresSlice } from './cores.slice.js';
import type { GallerySlice } from './gallery.slice.js';
import type { KernelSlice } from './kernel.slice.js';
import type { MemorySlice } from './memory.slice.js';
import type { MetricsSlice } from './metrics.slice.js';
import type { ModelsSlice } from './models.slice.js';
import type { ProcessesSlice } from './processes.slice.js';
import type { SandboxSlice } from './sandbox.slice.js';
import type { SchedulerSlice } from './scheduler.slice.js';
import type { ClientTokensSlice } from './tokens.slice.js';
import type { ToolsSlice } from './tools.slice.js';
import type { UiSlice } from './ui.slice.js';

/** What the bridge reads from the kernel before it starts streaming events. */
export interface KernelSnapshot {
  info: KernelInfo;
  processes: readonly ProcessInfo[];
  agents: readonly AgentManifest[];
  tools: readonly ToolManifest[];
  grants: readonly Grant[];
  grantRequests: readonly GrantRequest[];
  audit: readonly AuditRecord[];
}

/** The store's only way in from the kernel: snapshots and the event stream, both from the bridge. */
export interface EventsSlice {
  /** Replaces everything the kernel owns with a fresh read ('events/snapshot'). */
  loadSnapshot(snapshot: KernelSnapshot): void;
  /** Replaces the process table, grants and waiting requests after the bus dropped events ('events/resync'). */
  resync(snapshot: Pick<KernelSnapshot, 'processes' | 'grants' | 'grantRequests'>): void;
  /** Folds a batch of kernel events into every slice in one update ('events/ingest'). */
  ingest(events: readonly KernelEvent[]): void;
}

export type KernelStore = ProcessesSlice &
  KernelSlice &
  GallerySlice &
  ConsoleSlice &
  MetricsSlice &
  SchedulerSlice &
  MemorySlice &
  SandboxSlice &
  ClientTokensSlice &
  ModelsSlice &
  CoresSlice &
  ToolsSlice &
  UiSlice &
  EventsSlice;

export type StoreMutators = [['zustand/devtools', never]];

/** A typed slice of the kernel store; middleware is applied once, on the combined store. */
export type SliceCreator<Slice> = StateCreator<KernelStore, StoreMutators, [], Slice>;
