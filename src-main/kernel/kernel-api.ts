import type { KernelMethod, McpServerConfig } from '../../src-shared/index.js';
import { describeIssues, isKernelMethod, kernelApi } from '../../src-shared/index.js';
import { KernelError } from './core/kernel-error.js';
import type { Kernel } from './kernel.js';

/** Connection-scoped methods (the event stream, approver attachment) are the transport's. */
export const CONNECTION_METHODS = ['events.subscribe', 'grants.attach'] as const;

type Handlers = { [M in Exclude<KernelMethod, (typeof CONNECTION_METHODS)[number]>]: (kernel: Kernel, params: never) => unknown };

const handlers: Handlers = {
  'kernel.info': (kernel) => kernel.info(),
  'proc.list': (kernel) => kernel.listProcesses(),
  'proc.get': (kernel, params: { pid: number }) => kernel.table.get(params.pid),
  'proc.spawn': (kernel, params: { agent: string | Record<string, unknown>; task: string; priorityClass?: never; session?: boolean }) =>
    kernel.spawn(params.agent, params.task, params.priorityClass, params.session ?? false),
  'proc.input': (kernel, params: { pid: number; text: string }) => kernel.input(params.pid, params.text),
  'proc.snapshot': (kernel, params: { pid: number }) => kernel.snapshot(params.pid),
  'ipc.handoff': (kernel, params: { from: number; agent: string | Record<string, unknown>; task: string; mode: 'kv' | 'text' }) =>
    kernel.handoff(params.from, params.agent, params.task, params.mode),
  'ipc.send': (kernel, params: { to: number; text: string; from?: string }) => kernel.send(params.to, params.text, params.from),
  'interrupts.list': (kernel) => kernel.interrupts.list(),
  'interrupts.bind': (kernel, params: { agent: string; trigger?: never; maxPerSecond?: number }) =>
    kernel.bindInterrupt(params.agent, params.trigger, params.maxPerSecond),
  'interrupts.unbind': (kernel, params: { bindingId: string }) => (kernel.interrupts.unbind(params.bindingId), { ok: true }),
  'interrupts.raise': (kernel, params: { source: 'user-input'; text: string } | { source: 'abort'; pid: number }) => {
    if (params.source === 'abort') {
      kernel.interrupts.abort(params.pid);
      return { dispatched: [], coalesced: 0 };
    }
    return kernel.interrupts.raiseUserInput(params.text);
  },
  'proc.kill': (kernel, params: { pid: number }) => kernel.kill(params.pid),
  'proc.suspend': (kernel, params: { pid: number }) => kernel.suspend(params.pid),
  'proc.resume': (kernel, params: { pid: number }) => kernel.resume(params.pid),
  'proc.renice': (kernel, params: { pid: number; nice?: number; class?: never }) => kernel.renice(params.pid, params),
  'proc.wait': (kernel, params: { pid: number; timeoutMs?: number }) => kernel.wait(params.pid, params.timeoutMs),
  'proc.transcript': (kernel, params: { pid: number }) => kernel.transcript(params.pid),
  'proc.reap': async (kernel, params: { pids?: number[] }) => ({ reaped: await kernel.reap(params.pids) }),
  'grants.list': (kernel) => kernel.sandbox.grants.list(),
  'grants.add': (kernel, params: { agentId: string; tool: string; capability: string; scope: never }) =>
    kernel.sandbox.grant(params.agentId, params.tool, params.capability, params.scope),
  'grants.revoke': (kernel, params: { grantId: string }) => (kernel.sandbox.revoke(params.grantId), { ok: true }),
  'grants.pending': (kernel) => kernel.sandbox.broker.list(),
  'grants.decide': (kernel, params: { requestId: string; decision: never }) => kernel.sandbox.decide(params.requestId, params.decision),
  'audit.query': (kernel, params: object) => kernel.audit.query(params),
  'audit.verify': (kernel) => kernel.audit.verify(),
  'memory.blocks': (kernel, params: { agentId: string; query?: string; limit: number }) => kernel.memoryBlocks(params.agentId, params.query, params.limit),
  'gallery.list': (kernel) => kernel.listGallery(),
  'tools.list': (kernel) => kernel.listTools(),
  'tools.stage': (kernel, params: { path: string } | { url: string }) => kernel.toolPackages.stage(params),
  'tools.install': (kernel, params: { reviewId: string; allowUnsigned?: boolean }) => kernel.toolPackages.install(params.reviewId, params.allowUnsigned ?? false),
  'tools.discard': (kernel, params: { reviewId: string }) => (kernel.toolPackages.discard(params.reviewId), { ok: true }),
  'tools.installed': (kernel) => kernel.toolPackages.installed(),
  'tools.remove': async (kernel, params: { name: string }) => (await kernel.toolPackages.remove(params.name), { ok: true }),
  'tools.keys.list': (kernel) => kernel.toolPackages.listKeys(),
  'tools.keys.trust': (kernel, params: { publisher: string; publicKey: string }) => kernel.toolPackages.trustKey(params.publisher, params.publicKey),
  'tools.keys.remove': (kernel, params: { id: string }) => (kernel.toolPackages.removeKey(params.id), { ok: true }),
  'mcp.servers.list': (kernel) => kernel.mcp.list(),
  'mcp.servers.add': (kernel, { approved, ...config }: McpServerConfig & { approved?: true }) => kernel.mcp.register(config, approved === true),
  'models.list': (kernel) => kernel.models.overview(),
  'models.download': (kernel, params: { id: string }) => kernel.models.startDownload(params.id),
  'models.cancel': (kernel, params: { id: string }) => (kernel.models.cancel(params.id), { ok: true }),
  'models.import': (kernel, params: { path: string }) => kernel.models.import(params.path),
  'models.delete': async (kernel, params: { file: string }) => (await kernel.models.delete(params.file), { ok: true }),
  'models.load': (kernel, params: { file: string }) => kernel.useModel(params.file),
  'mcp.servers.remove': async (kernel, params: { name: string }) => (await kernel.mcp.unregister(params.name), { ok: true }),
  'mcp.tokens.list': (kernel) => kernel.access.tokens.list(),
  'mcp.tokens.create': (kernel, params: { name: string }) => kernel.access.createToken(params.name),
  'mcp.tokens.revoke': (kernel, params: { name: string }) => (kernel.access.revokeToken(params.name), { ok: true }),
};

/**
 * The one entry for API calls from any transport: the method must exist, the params must match
 * its schema, and the handler's result is checked against the contract before it leaves.
 */
export async function handleKernelRequest(kernel: Kernel, method: string, params: unknown): Promise<unknown> {
  if (!isKernelMethod(method) || (CONNECTION_METHODS as readonly string[]).includes(method)) {
    throw new KernelError('UNKNOWN_METHOD', `unknown method "${method}"`);
  }
  const contract = kernelApi[method];
  const parsed = contract.params.safeParse(params ?? {});
  if (!parsed.success) throw new KernelError('INVALID_REQUEST', describeIssues(parsed.error, `${method} params`));
  const handler = handlers[method as keyof Handlers] as (kernel: Kernel, params: unknown) => unknown;
  const result = await handler(kernel, parsed.data);
  return contract.result.parse(result);
}
