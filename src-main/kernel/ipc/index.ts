export { SnapshotStore, SnapshotMeta, type Snapshot } from './snapshot-store.js';
export { planHandoff, transcriptText, type HandoffMode, type HandoffPlan } from './handoff.js';
