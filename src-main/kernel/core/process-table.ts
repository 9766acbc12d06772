import type {
  AgentManifest,
  KernelEvent,
  ProcessInfo,
  TranscriptEntry,
} from '../../../src-shared/index.js';
import { isTerminal } from '../../../src-shared/index.js';
import { KernelError } from './kernel-error.js';

export interface ProcessRecord {
  info: ProcessInfo;
  manifest: AgentManifest;
  transcript: TranscriptEntry[];
}

/**
 * The process table is a projection of kernel events: it changes only in `apply`.
 * The live kernel and a journal replay therefore build it the same way.
 */
export class ProcessTable {
  private readonly records = new Map<number, ProcessRecord>();
  private highestPid = 0;

  apply(event: KernelEvent): void {
    switch (event.type) {
      case 'proc.spawned':
        this.highestPid = Math.max(this.highestPid, event.process.pid);
        this.records.set(event.process.pid, {
          info: structuredClone(event.process),
          manifest: event.manifest,
          transcript: [{ kind: 'task', text: event.process.task }],
        });
        return;
      case 'proc.state':
        this.update(event.pid, (info) => {
          info.state = event.state;
          info.slot = event.slot;
          if (event.core !== undefined) info.core = event.core;
          if (event.state === 'running') {
            info.startedAt ??= event.at;
            info.lastRunAt = event.at;
          }
        });
        return;
      case 'proc.priority':
        this.update(event.pid, (info) => (info.priority = { ...event.priority }));
        return;
      case 'proc.reaped':
        for (const pid of event.pids) if (this.records.get(pid) && isTerminal(this.records.get(pid)!.info.state)) this.records.delete(pid);
        return;
      case 'proc.counters':
        this.update(event.pid, (info) => (info.counters = { ...event.counters }));
        return;
      case 'proc.output':
        this.appendOutput(event.pid, event.step, event.text);
        return;
      case 'proc.input':
        this.record(event.pid)?.transcript.push({ kind: 'input', afterStep: event.afterStep, text: event.text });
        return;
      case 'proc.step':
        this.record(event.pid)?.transcript.push(
          event.action.type === 'tool'
            ? { kind: 'tool-call', step: event.step, tool: event.action.tool, args: event.action.args }
            : { kind: 'answer', step: event.step, text: event.action.answer },
        );
        return;
      case 'proc.step-rejected':
        this.record(event.pid)?.transcript.push({ kind: 'rejected', step: event.step, error: event.error });
        return;
      case 'proc.step-interrupted':
        this.markInterrupted(event.pid, event.step, event.reason);
        return;
      case 'proc.tool-result': {
        const entry: TranscriptEntry = { kind: 'tool-result', step: event.step, tool: event.tool, ok: event.ok };
        if (event.value !== undefined) entry.value = event.value;
        if (event.error !== undefined) entry.error = event.error;
        this.record(event.pid)?.transcript.push(entry);
        return;
      }
      case 'memory.layout':
        this.update(event.pid, (info) => {
          info.memory = { regions: { ...event.regions }, contextSize: event.contextSize, pagedOutBlocks: event.pagedOutBlocks, pagedOutTokens: event.pagedOutTokens };
        });
        return;
      case 'sched.swap':
        this.update(event.pid, (info) => {
          if (!event.ok) return;
          info.swap = event.direction === 'out' ? { location: event.location, bytes: event.bytes } : null;
        });
        return;
      case 'proc.exited':
        this.update(event.pid, (info) => {
          info.state = event.state;
          info.exit = { ...event.exit };
          info.exitedAt = event.at;
          info.slot = null;
          info.swap = null;
        });
        return;
      default:
        return;
    }
  }

  nextPid(): number {
    return this.highestPid + 1;
  }

  /** The whole projection, for a journal snapshot: the records themselves, to be serialized at once. */
  exportState(): { highestPid: number; records: readonly ProcessRecord[] } {
    return { highestPid: this.highestPid, records: [...this.records.values()] };
  }

  /** Puts back a record from a journal snapshot (validated by the caller); later events apply on top. */
  restore(record: ProcessRecord, highestPid: number): void {
    this.highestPid = Math.max(this.highestPid, highestPid, record.info.pid);
    this.records.set(record.info.pid, record);
  }

  /** A snapshot with no processes left still remembers the highest pid: pids are never reused. */
  restoreHighestPid(highestPid: number): void {
    this.highestPid = Math.max(this.highestPid, highestPid);
  }

  has(pid: number): boolean {
    return this.records.has(pid);
  }

  /** A copy of the PCB; throws UNKNOWN_PROCESS for a pid never spawned. */
  get(pid: number): ProcessInfo {
    return structuredClone(this.require(pid).info);
  }

  manifest(pid: number): AgentManifest {
    return this.require(pid).manifest;
  }

  transcript(pid: number): TranscriptEntry[] {
    return structuredClone(this.require(pid).transcript);
  }

  list(): ProcessInfo[] {
    return [...this.records.values()].map((record) => structuredClone(record.info));
  }

  live(): ProcessInfo[] {
    return this.list().filter((info) => !isTerminal(info.state));
  }

  private require(pid: number): ProcessRecord {
    const record = this.records.get(pid);
    if (!record) throw new KernelError('UNKNOWN_PROCESS', `no process with pid ${pid}`);
    return record;
  }

  private record(pid: number): ProcessRecord | undefined {
    return this.records.get(pid);
  }

  private update(pid: number, change: (info: ProcessInfo) => void): void {
    const record = this.records.get(pid);
    if (record) change(record.info);
  }

  /** The open step's output becomes an `interrupted` entry, so regenerated output starts a fresh one. */
  private markInterrupted(pid: number, step: number, reason: string): void {
    const transcript = this.record(pid)?.transcript;
    if (!transcript) return;
    for (let index = transcript.length - 1; index >= 0; index--) {
      const entry = transcript[index]!;
      if (!('step' in entry) || entry.step !== step) break;
      if (entry.kind === 'output') transcript[index] = { kind: 'interrupted', step, text: entry.text, reason };
    }
  }

  private appendOutput(pid: number, step: number, text: string): void {
    const transcript = this.record(pid)?.transcript;
    if (!transcript) return;
    const last = transcript.at(-1);
    if (last?.kind === 'output' && last.step === step) last.text += text;
    else transcript.push({ kind: 'output', step, text });
  }
}
