import { isExternalAgentId } from '../../../src-shared/index.js';
import type { EventBus } from '../core/event-bus.js';
import type { ProcessTable } from '../core/process-table.js';
import { unfinishedStep } from '../runtime/index.js';
import type { ProcessManager } from './process-manager.js';

export interface RecoveryReport {
  /** What boot did with each process it found live in the journal. */
  recovery: { pid: number; outcome: 'resumed' | 'suspended' | 'exited'; reason: string }[];
  recovered: number[];
}

export interface RecoveryOptions {
  bus: EventBus;
  table: ProcessTable;
  processes: ProcessManager;
  /** Resume them now; otherwise `held` says why they wait suspended. */
  resume: boolean;
  held: string;
  report: RecoveryReport;
}

/**
 * Processes that were live when the kernel last stopped come back from their snapshot and the
 * journal: resumed at once (the default), or suspended until someone resumes them.
 */
export async function recoverProcesses({ bus, table, processes, resume, held, report }: RecoveryOptions): Promise<void> {
  for (const info of table.live()) {
    if (isExternalAgentId(info.agentId)) {
      // An MCP client's session does not survive the kernel: it reconnects as a new process.
      const reason = 'the MCP session ended when the kernel stopped';
      bus.emit({ type: 'proc.exited', pid: info.pid, state: 'exited', exit: { code: 0, reason } });
      report.recovery.push({ pid: info.pid, outcome: 'exited', reason });
      continue;
    }
    // The step a restart cut short is generated again: its partial output must not run into the new one.
    const open = unfinishedStep(table.transcript(info.pid));
    if (open !== null) bus.emit({ type: 'proc.step-interrupted', pid: info.pid, step: open, reason: 'cut short by a kernel restart; generated again' });
    bus.emit({ type: 'proc.state', pid: info.pid, state: 'suspended', slot: null, reason: resume ? 'recovered after a kernel restart' : `recovered after a kernel restart: ${held}` });
    report.recovered.push(info.pid);
    if (!resume) {
      report.recovery.push({ pid: info.pid, outcome: 'suspended', reason: held });
      continue;
    }
    try {
      await processes.resume(info.pid);
      report.recovery.push({ pid: info.pid, outcome: 'resumed', reason: 'resumed from its snapshot and the journal' });
    } catch (error) {
      // One process that cannot come back (a tool gone, say) stays suspended; the boot goes on.
      report.recovery.push({ pid: info.pid, outcome: 'suspended', reason: `could not resume: ${(error as Error).message}` });
    }
  }
}
