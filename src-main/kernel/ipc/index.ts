export { SnapshotStore, SnapshotMeta, type Snapshot } from './snapshot-store.js';
export { planHandoff, transcriptText, type HandoffMode, type HandoffPlan } from './handoff.js';
export { handoffProcess, type HandoffContext, type HandoffHost } from './handoff-process.js';
export { registerIpcApi, registerIpcSyscalls, type Mailboxes } from './ipc-api.js';
