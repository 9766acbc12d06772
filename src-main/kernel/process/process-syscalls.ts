import { isExternalAgentId, isTerminal } from '../../../src-shared/index.js';
import type { EventBus } from '../core/event-bus.js';
import { KernelError } from '../core/kernel-error.js';
import type { ProcessTable } from '../core/process-table.js';
import type { SyscallDispatcher } from '../core/syscall-dispatcher.js';
import { validateAgentArgs } from '../runtime/index.js';
import type { ToolRegistry } from '../tools/index.js';
import type { ProcessManager } from './process-manager.js';

export interface ProcessSyscallOptions {
  dispatcher: SyscallDispatcher;
  bus: EventBus;
  table: ProcessTable;
  tools: ToolRegistry;
  processes: ProcessManager;
}

/** The syscalls of a process itself: its tool calls, its pinned working memory, its exit. */
export function registerProcessSyscalls({ dispatcher, bus, table, tools, processes }: ProcessSyscallOptions): void {
  dispatcher.register('tool.call', async (pid, request, signal) => {
    const manifest = table.manifest(pid);
    // An external agent (MCP client) has no grammar to bound it: it may ask for any tool, each behind its grants.
    if (!manifest.tools.includes(request.tool) && !isExternalAgentId(manifest.id)) {
      throw new KernelError('UNKNOWN_TOOL', `tool "${request.tool}" is not among ${manifest.id}'s tools`, { tool: request.tool });
    }
    validateAgentArgs(manifest, request.tool, request.args, tools);
    return tools.invoke(request.tool, request.args, {
      pid,
      agentId: manifest.id,
      agentName: manifest.name,
      policy: manifest.policy,
      signal,
      syscall: (inner) => dispatcher.dispatch(pid, inner, signal),
      onBlocked: (reason) => {
        if (isTerminal(table.get(pid).state)) return;
        bus.emit({ type: 'proc.state', pid, state: reason ? 'blocked' : 'waiting', slot: null, ...(reason ? { reason } : {}) });
      },
    });
  });
  dispatcher.register('memory.pin', (pid, request) => {
    processes.require(pid).setWorkingMemory(request.text);
    return Promise.resolve({ pinned: request.text.length });
  });
  dispatcher.register('proc.exit', (pid, request) => {
    processes.require(pid).exit('exited', { code: 0, reason: 'finished', answer: request.answer });
    return Promise.resolve({ exited: true as const });
  });
}
