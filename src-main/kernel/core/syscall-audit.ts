import type { SyscallResponse } from '../../../src-shared/index.js';
import type { AuditEntry } from './audit-record.js';
import { digestArgs } from './audit-record.js';

/** The audit record of one dispatched syscall: its arguments only as a digest, its outcome by error code. */
export function syscallAuditEntry(pid: number, agentId: string | null, call: string, raw: unknown, response: SyscallResponse, durationMs: number): AuditEntry {
  return {
    pid,
    agentId,
    kind: 'syscall',
    name: call === 'tool.call' && typeof raw === 'object' && raw && 'tool' in raw ? `tool.call ${String(raw.tool)}` : call,
    argsDigest: digestArgs(raw),
    capability: null,
    outcome: response.ok ? 'ok' : response.error.code === 'CAPABILITY_DENIED' ? 'denied' : response.error.code === 'TIMEOUT' ? 'timeout' : 'error',
    reason: response.ok ? 'completed' : `${response.error.code}: ${response.error.message}`,
    resultBytes: response.ok ? (JSON.stringify(response.value) ?? '').length : null,
    durationMs,
  };
}
