import type { ApiRegistry } from '../core/api-registry.js';
import { KernelError } from '../core/kernel-error.js';
import type { ProcessTable } from '../core/process-table.js';
import type { SyscallDispatcher } from '../core/syscall-dispatcher.js';
import { handoffProcess, type HandoffContext } from './handoff-process.js';

/** Mailboxes: the process manager delivers; ipc decides who receives. */
export interface Mailboxes {
  send(to: number, text: string, from?: string): { queued: number };
}

/** `ipc.send` from an agent: to the newest live process of the agent it names. */
export function registerIpcSyscalls(dispatcher: SyscallDispatcher, table: ProcessTable, mailboxes: Mailboxes): void {
  dispatcher.register('ipc.send', (pid, request) => {
    const sender = table.get(pid);
    // The newest live process of the agent gets it: agents know each other by id, not by pid.
    const receiver = table
      .live()
      .filter((info) => info.agentId === request.to && info.pid !== pid)
      .at(-1);
    if (!receiver) throw new KernelError('UNKNOWN_PROCESS', `no live process of agent "${request.to}" to send to; it must be running (or waiting) to read messages`);
    return Promise.resolve({ to: receiver.pid, ...mailboxes.send(receiver.pid, request.text, `${sender.name} (pid ${pid})`) });
  });
}

export function registerIpcApi<P>(registry: ApiRegistry, handoff: HandoffContext<P>, mailboxes: Mailboxes): void {
  registry.register({
    'ipc.handoff': (params) => handoffProcess(handoff, params.from, params.agent, params.task, params.mode),
    'ipc.send': (params) => mailboxes.send(params.to, params.text, params.from),
  });
}
