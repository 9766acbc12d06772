import type { AgentManifest, KernelEventBody, PriorityClass, ProcessInfo, TranscriptEntry } from '../../../src-shared/index.js';
import type { LlmBackend } from '../llm/index.js';
import type { SlotScheduler } from '../scheduler/index.js';
import { planHandoff, type HandoffMode } from './handoff.js';
import type { SnapshotStore } from './snapshot-store.js';

/** What a handoff needs of the kernel: the process manager satisfies it (`P`: its process runtime). */
export interface HandoffHost<P> {
  host(): { llm: LlmBackend; snapshots: SnapshotStore; scheduler: SlotScheduler };
  create(
    manifest: AgentManifest,
    task: string,
    priorityClass: PriorityClass | undefined,
    session: boolean,
    extra: { prefix?: number[] },
  ): { info: ProcessInfo; process: P };
  launch(process: P): void;
}

export interface HandoffContext<P> {
  processes: HandoffHost<P>;
  resolveManifest(agent: string | Record<string, unknown>): AgentManifest;
  processInfo(pid: number): ProcessInfo;
  transcript(pid: number): readonly TranscriptEntry[];
  emit(body: KernelEventBody): void;
}

/**
 * Starts `agent` from the context of process `from`: in kv mode from its attention state (its
 * snapshot, loaded into the receiver's slot: nothing of the sender is prefilled again), in text
 * mode from its transcript. An incompatible state falls back to text, with the reason.
 */
export async function handoffProcess<P>(
  context: HandoffContext<P>,
  from: number,
  agent: string | Record<string, unknown>,
  task: string,
  requested: HandoffMode,
): Promise<{ process: ProcessInfo; mode: HandoffMode; reason?: string }> {
  const sender = context.processInfo(from);
  const manifest = context.resolveManifest(agent);
  const host = context.processes.host();
  const roomNeeded = manifest.model.maxTokensPerStep * 2 + host.llm.tokenize(`${manifest.systemPrompt}\n${task}`).length + 256;
  const plan = await planHandoff(host.snapshots, from, requested, context.transcript(from), roomNeeded, host.llm.info.contextSize);
  const receiverTask = plan.mode === 'text' ? `Context handed over from ${sender.name} (pid ${from}):\n${plan.text}\n\nYour task: ${task}` : task;
  const { info, process } = context.processes.create(manifest, receiverTask, undefined, false, plan.mode === 'kv' ? { prefix: plan.snapshot!.meta.tokens } : {});
  if (plan.snapshot) await host.scheduler.adopt(info.pid, info.priority, plan.snapshot.path, plan.snapshot.header.stateBytes);
  context.processes.launch(process);
  context.emit({
    type: 'ipc.handoff',
    from,
    to: info.pid,
    requested,
    mode: plan.mode,
    tokens: plan.snapshot?.meta.tokens.length ?? 0,
    ...(plan.reason ? { reason: plan.reason } : {}),
  });
  return { process: context.processInfo(info.pid), mode: plan.mode, ...(plan.reason ? { reason: plan.reason } : {}) };
}
