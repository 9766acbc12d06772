import type { TranscriptEntry } from '../../../src-shared/index.js';
import type { Snapshot, SnapshotStore } from './snapshot-store.js';

export type HandoffMode = 'kv' | 'text';

export interface HandoffPlan {
  mode: HandoffMode;
  /** Why a kv handoff fell back to text. */
  reason?: string;
  snapshot?: Snapshot;
  /** For text mode: the sender's context as text, for the receiver's task. */
  text?: string;
}

/** The sender's context as text: what a text handoff (the baseline) passes on. */
export function transcriptText(entries: readonly TranscriptEntry[]): string {
  const lines: string[] = [];
  const outputs = new Map<number, string>();
  for (const entry of entries) if (entry.kind === 'output') outputs.set(entry.step, (outputs.get(entry.step) ?? '') + entry.text);
  for (const entry of entries) {
    if (entry.kind === 'task') lines.push(`Task: ${entry.text}`);
    else if (entry.kind === 'input') lines.push(`User: ${entry.text}`);
    else if (entry.kind === 'tool-call' || entry.kind === 'answer') lines.push(`Step ${entry.step}: ${(outputs.get(entry.step) ?? '').trim()}`);
    else if (entry.kind === 'tool-result') lines.push(`Result ${entry.step}: ${entry.ok ? JSON.stringify(entry.value) : `error: ${entry.error?.message}`}`);
  }
  return lines.join('\n');
}

/**
 * Decides how a receiver starts from a sender: from the sender's attention state when its
 * snapshot is compatible (same model file, same KV type, fits the context with room for the
 * receiver's own prompt and steps), otherwise from its transcript as text, with the reason.
 */
export async function planHandoff(
  snapshots: SnapshotStore,
  from: number,
  requested: HandoffMode,
  transcript: readonly TranscriptEntry[],
  roomNeeded: number,
  contextSize: number,
): Promise<HandoffPlan> {
  const text = (): string => transcriptText(transcript);
  if (requested === 'text') return { mode: 'text', text: text() };
  const snapshot = await snapshots.read(from);
  if (typeof snapshot === 'string') return { mode: 'text', reason: snapshot, text: text() };
  if (snapshot.meta.tokens.length + roomNeeded > contextSize) {
    return {
      mode: 'text',
      reason: `the sender's ${snapshot.meta.tokens.length} tokens and the receiver's ${roomNeeded} would not fit the ${contextSize}-token context`,
      text: text(),
    };
  }
  return { mode: 'kv', snapshot };
}
