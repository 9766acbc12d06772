export { Kernel, DEFAULT_SCHEDULER, type KernelConfig, type BootReport, type SchedulerConfig } from './kernel.js';
export { handleKernelRequest } from './kernel-api.js';
export { KernelError, toErrorPayload } from './core/kernel-error.js';
export { readJournal } from './core/journal.js';
export { ProcessTable } from './core/process-table.js';
export type { EventStream } from './core/event-bus.js';
export { defaultThreadCount, type GpuChoice } from './llm/index.js';
