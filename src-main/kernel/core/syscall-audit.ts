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

/**
 * The audit record of a user's change to the kernel's configuration (an MCP server or a core added
 * or removed): no process, the target only as a digest of its name, the reason capped.
 */
export function configChangeAuditEntry(agentId: string, action: string, name: string, outcome: 'ok' | 'error', reason: string): AuditEntry {
  return {
    pid: null,
    agentId,
    kind: 'syscall',
    name: action,
    argsDigest: digestArgs({ name }),
    capability: null,
    outcome,
    reason: reason.slice(0, 500),
    resultBytes: null,
    durationMs: null,
  };
}
