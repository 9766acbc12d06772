export { ProcessManager, type ProcessManagerOptions } from './process-manager.js';
export { AgentManifests } from './agent-manifests.js';
export { recoverProcesses, type RecoveryReport } from './recover-processes.js';
export { registerProcessSyscalls } from './process-syscalls.js';
export { registerProcessApi } from './process-api.js';
