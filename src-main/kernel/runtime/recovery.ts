import type { TranscriptEntry } from '../../../src-shared/index.js';
import type { LlmBackend } from '../llm/index.js';
import type { StepRecord } from './prompt-builder.js';

/**
 * Rebuilds the finished steps of an agent from its journaled transcript. A step cut short by a
 * crash has output but no call, answer or rejection: it is dropped and generated again.
 */
export interface RecoveredHistory {
  steps: StepRecord[];
  /** User messages that came before the first step. */
  leadingInputs: string[];
}

/**
 * The step a restart cut short: it has output (or a call without its result) but no answer,
 * rejection or tool result. It is generated again, so its partial output is marked interrupted.
 */
export function unfinishedStep(transcript: readonly TranscriptEntry[]): number | null {
  const finished = new Set<number>();
  let open: number | null = null;
  for (const entry of transcript) {
    if (entry.kind === 'answer' || entry.kind === 'rejected' || entry.kind === 'tool-result') finished.add(entry.step);
    else if (entry.kind === 'output' || entry.kind === 'tool-call') open = entry.step;
  }
  return open !== null && !finished.has(open) ? open : null;
}

export function historyFromTranscript(transcript: readonly TranscriptEntry[], llm: LlmBackend): RecoveredHistory {
  const steps: StepRecord[] = [];
  const leadingInputs: string[] = [];
  const outputs = new Map<number, string>();
  for (const entry of transcript) {
    if (entry.kind === 'output') outputs.set(entry.step, (outputs.get(entry.step) ?? '') + entry.text);
  }
  const push = (step: number, actionText: string, resultText: string): void => {
    steps.push({ step, actionText, actionTokens: llm.tokenize(actionText), resultText, inputs: [] });
  };
  for (const entry of transcript) {
    if (entry.kind === 'input') {
      const after = steps.find((record) => record.step === entry.afterStep);
      if (after) after.inputs.push(entry.text);
      else leadingInputs.push(entry.text);
    } else if (entry.kind === 'answer') {
      // In a session the answer is a finished step too; the next input continues after it.
      push(entry.step, outputs.get(entry.step)?.trim() ?? '', 'done');
    } else if (entry.kind === 'rejected') {
      push(entry.step, outputs.get(entry.step)?.trim() ?? '', `error: ${entry.error.message}`);
    } else if (entry.kind === 'tool-result') {
      const actionText = outputs.get(entry.step)?.trim() ?? '';
      push(entry.step, actionText, entry.ok ? JSON.stringify(entry.value) : `error: ${entry.error?.message ?? 'failed'}`);
    }
  }
  return { steps, leadingInputs };
}

/**
 * Where a snapshot's steps agree with the journal's, use the snapshot's exact tokens, so the
 * restored KV state is a prefix of the rebuilt prompt and nothing is evaluated twice.
 */
export function preferSnapshotTokens(history: RecoveredHistory, snapshotSteps: readonly StepRecord[], snapshotLeading: readonly string[]): RecoveredHistory {
  if (snapshotLeading.join('\u0000') !== history.leadingInputs.slice(0, snapshotLeading.length).join('\u0000')) return history;
  const steps = history.steps.map((step, index) => {
    const saved = snapshotSteps[index];
    return saved && saved.step === step.step && saved.actionText.trim() === step.actionText.trim() && saved.resultText === step.resultText
      ? { ...step, actionTokens: [...saved.actionTokens], actionText: saved.actionText }
      : step;
  });
  return { steps, leadingInputs: history.leadingInputs };
}
