import type { ApiRegistry } from '../core/api-registry.js';
import type { ProcessTable } from '../core/process-table.js';
import type { ProcessManager } from './process-manager.js';

export function registerProcessApi(registry: ApiRegistry, table: ProcessTable, processes: ProcessManager): void {
  registry.register({
    'proc.list': () => table.list(),
    'proc.get': (params) => table.get(params.pid),
    'proc.spawn': (params) => processes.spawn(params.agent, params.task, params.priorityClass, params.session ?? false),
    'proc.input': (params) => processes.input(params.pid, params.text),
    'proc.snapshot': (params) => processes.snapshot(params.pid),
    'proc.kill': (params) => processes.kill(params.pid),
    'proc.suspend': (params) => processes.suspend(params.pid),
    'proc.resume': (params) => processes.resume(params.pid),
    'proc.renice': (params) => processes.renice(params.pid, params),
    'proc.wait': (params) => processes.wait(params.pid, params.timeoutMs),
    'proc.transcript': (params) => table.transcript(params.pid),
    'proc.reap': async (params) => ({ reaped: await processes.reap(params.pids) }),
  });
}
