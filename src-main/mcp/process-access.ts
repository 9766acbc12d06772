import type { ProcessInfo } from '../../src-shared/index.js';
import { parseCapability } from '../../src-shared/index.js';
import type { ExternalProcess, Kernel } from '../kernel/index.js';

/**
 * What an MCP client may see and touch of other processes. Its own are free: its session's
 * process, its identity's other sessions, the processes it spawned, and its namespaced agents
 * (`NAME--ID`, which survive a restart). Anything else needs `proc:read:PID|AGENT` to read and
 * `ipc:AGENT` to write, through the sandbox's grants and approval like an agent's capabilities.
 */
export function ownsProcess(kernel: Kernel, caller: ExternalProcess, info: ProcessInfo): boolean {
  const namespaced = info.agentId.startsWith(`${caller.identity.name}--`) && !kernel.listGallery().some((agent) => agent.id === info.agentId);
  return info.pid === caller.pid || info.agentId === caller.agentId || namespaced || kernel.access.spawned(caller.agentId, info.pid);
}

/** For lists: own, or covered by a `proc:read` grant of the client's (looked at, not used up, nobody asked). */
export function mayRead(kernel: Kernel, caller: ExternalProcess, info: ProcessInfo): boolean {
  if (ownsProcess(kernel, caller, info)) return true;
  return kernel.sandbox.grants.list().some((grant) => {
    if (grant.effect === 'deny' || grant.agentId !== caller.agentId) return false;
    const parsed = parseCapability(grant.capability);
    return typeof parsed !== 'string' && parsed.kind === 'proc' && (parsed.pid === info.pid || parsed.agent === info.agentId);
  });
}

/** Reading a foreign process's results: a `proc:read:PID` grant (or `proc:read:AGENT`), or the user is asked. */
export async function requireRead(kernel: Kernel, caller: ExternalProcess, pid: number, operation: string, args: Record<string, unknown>, signal: AbortSignal): Promise<void> {
  const info = kernel.table.get(pid);
  if (ownsProcess(kernel, caller, info)) return;
  await caller.authorize(
    operation,
    [{ capability: `proc:read:${pid}`, parsed: { kind: 'proc', pid, agent: info.agentId }, summary: `read the results and transcript of process ${pid} (${info.agentId})`, risk: 'medium' }],
    args,
    signal,
  );
}

/** Writing to a foreign agent's mailbox or input: an `ipc:AGENT` grant, or the user is asked. */
export async function requireWrite(kernel: Kernel, caller: ExternalProcess, pid: number, operation: string, args: Record<string, unknown>, signal: AbortSignal): Promise<void> {
  const info = kernel.table.get(pid);
  if (ownsProcess(kernel, caller, info)) return;
  await caller.authorize(
    operation,
    [{ capability: `ipc:${info.agentId}`, parsed: { kind: 'ipc', agent: info.agentId }, summary: `send messages to agent ${info.agentId} (process ${pid})`, risk: 'medium' }],
    args,
    signal,
  );
}

/** A foreign process the client may not read: enough to name it (and ask for it), nothing of its work. */
export function visibleProcess(kernel: Kernel, caller: ExternalProcess, info: ProcessInfo): ProcessInfo | { pid: number; agentId: string; name: string; state: string; readable: false } {
  return mayRead(kernel, caller, info) ? info : { pid: info.pid, agentId: info.agentId, name: info.name, state: info.state, readable: false };
}
