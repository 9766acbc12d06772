import { join } from 'node:path';
import type { KernelEventBody, KernelInfo, ModelInfo } from '../../src-shared/index.js';
import { kernelApi, type KernelMethod } from '../../src-shared/index.js';
import type { ApiRegistry } from './core/api-registry.js';
import { registerAuditApi } from './core/audit-api.js';
import { AuditLog } from './core/audit-log.js';
import type { DisposableStore } from './core/disposable.js';
import type { EventBus } from './core/event-bus.js';
import { KernelError } from './core/kernel-error.js';
import { loadOrCreateKernelKey } from './core/kernel-key.js';
import type { ProcessTable } from './core/process-table.js';
import type { SyscallDispatcher } from './core/syscall-dispatcher.js';
import { ClientAccess, registerAccessApi } from './access/index.js';
import { registerInterruptsApi, type InterruptController } from './interrupts/index.js';
import { registerIpcApi, registerIpcSyscalls, type HandoffContext } from './ipc/index.js';
import { McpClients, registerMcpApi } from './mcp/index.js';
import { registerMemoryApi, registerMemorySyscalls } from './memory/index.js';
import { ModelLibrary, registerModelsApi } from './models/index.js';
import { registerProcessApi, registerProcessSyscalls, type AgentManifests, type ProcessManager } from './process/index.js';
import { registerSandboxApi, Sandbox } from './sandbox/index.js';
import { registerToolPackagesApi, ToolPackages } from './tool-packages/index.js';
import type { ToolRegistry } from './tools/index.js';
import type { KernelConfig } from './kernel-config.js';
import { CorePool, registerCoresApi } from './cores/index.js';

/** The subsystems the kernel opens at boot, after the journal. */
export interface Subsystems {
  audit: AuditLog;
  sandbox: Sandbox;
  toolPackages: ToolPackages;
  mcp: McpClients;
  access: ClientAccess;
  models: ModelLibrary;
  cores: CorePool;
}

export interface OpenOptions {
  config: KernelConfig;
  store: DisposableStore;
  tools: ToolRegistry;
  emit: (body: KernelEventBody) => void;
  /** What works, only less well: for `kernel.info`. */
  warnings: string[];
  modelState: () => { inUse: string | null; loading: string | null };
}

/** Opens the subsystems in dependency order; each is disposed with the kernel's store. */
export async function openSubsystems({ config, store, tools, emit, warnings, modelState }: OpenOptions): Promise<Subsystems> {
  const key = loadOrCreateKernelKey(config.dataDir);
  const audit = store.add(await AuditLog.open({ path: join(config.dataDir, 'audit', 'audit.jsonl'), key, onAppend: (record) => emit({ type: 'audit.appended', record }) }));
  if (audit.loadProblem) warnings.push(`audit log: ${audit.loadProblem}`);
  const sandbox = store.add(new Sandbox({ dataDir: config.dataDir, toolDirs: config.toolDirs, grantTimeoutMs: config.grantTimeoutMs ?? 60_000, audit, emit }));
  warnings.push(...sandbox.warnings);
  tools.register(sandbox.provider);
  const services = { grants: sandbox.grants, broker: sandbox.broker, audit };
  // Installed tools after the built-ins, so that none can take a built-in's name.
  const toolPackages = store.add(new ToolPackages({ dataDir: config.dataDir, key, registry: tools, services, toolDirs: config.toolDirs }));
  toolPackages.register();
  warnings.push(...toolPackages.warnings);
  const mcp = store.add(new McpClients({ dataDir: config.dataDir, version: config.version, tools, services, ...(config.bwrapPath === undefined ? {} : { bwrapPath: config.bwrapPath }) }));
  await mcp.start();
  const access = new ClientAccess(config.dataDir, audit);
  if (access.tokens.loadProblem) warnings.push(access.tokens.loadProblem);
  const models = store.add(
    new ModelLibrary({
      dataDir: config.dataDir,
      catalogPath: config.catalogPath ?? null,
      gpu: config.gpu,
      emit,
      modelState,
      ...(config.maxUploadBytes === undefined ? {} : { maxUploadBytes: config.maxUploadBytes }),
    }),
  );
  const cores = store.add(
    new CorePool({
      dataDir: config.dataDir,
      emit,
      audit,
      env: process.env,
      localCore: config.localCore !== false,
      ...(config.coreProbeIntervalMs === undefined ? {} : { probeIntervalMs: config.coreProbeIntervalMs }),
      ...(config.coreLimits === undefined ? {} : { limits: config.coreLimits }),
    }),
  );
  warnings.push(...cores.warnings);
  return { audit, sandbox, toolPackages, mcp, access, models, cores };
}

export interface Wiring<P> {
  parts: Subsystems;
  api: ApiRegistry;
  dispatcher: SyscallDispatcher;
  bus: EventBus;
  table: ProcessTable;
  tools: ToolRegistry;
  processes: ProcessManager;
  manifests: AgentManifests;
  interrupts: InterruptController;
  handoff: HandoffContext<P>;
  info: () => KernelInfo;
  useModel: (file: string) => Promise<ModelInfo>;
}

/** Each subsystem registers its own syscalls and API methods; every method of the contract must have a handler. */
export function registerSubsystems<P>({ parts, api, dispatcher, bus, table, tools, processes, manifests, interrupts, handoff, info, useModel }: Wiring<P>): void {
  const { audit, sandbox, toolPackages, mcp, access, models, cores } = parts;
  const memory = {
    memory: () => processes.host().memory,
    agentOf: (pid: number) => table.manifest(pid).id,
    mayRead: (reader: string, owner: string) => sandbox.grants.list().some((g) => g.effect !== 'deny' && g.agentId === reader && g.capability === `memory:${owner}`),
  };
  registerProcessSyscalls({ dispatcher, bus, table, tools, processes });
  registerMemorySyscalls(dispatcher, memory);
  registerIpcSyscalls(dispatcher, table, processes);
  api.register({ 'kernel.info': info, 'gallery.list': () => manifests.list(), 'tools.list': () => tools.list() });
  registerProcessApi(api, table, processes);
  registerIpcApi(api, handoff, processes);
  registerInterruptsApi(api, interrupts, (agentId) => manifests.resolve(agentId));
  registerSandboxApi(api, sandbox);
  registerAuditApi(api, audit);
  registerMemoryApi(api, memory);
  registerToolPackagesApi(api, toolPackages);
  registerMcpApi(api, mcp);
  registerAccessApi(api, access);
  registerModelsApi(api, models, useModel);
  registerCoresApi(api, cores);
  const missing = api.missing(Object.keys(kernelApi) as KernelMethod[]);
  if (missing.length > 0) throw new KernelError('INTERNAL', `no subsystem answers API method(s) ${missing.join(', ')}`);
}
