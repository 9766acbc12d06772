import { Ajv, type ValidateFunction } from 'ajv';
import type { ToolManifest } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import type { ToolCallContext, ToolProvider } from '../tools/index.js';
import { auditToolRun, authorizeCall, callAuditor, clip, type SandboxServices } from './authorize.js';
import type { VerifiedPlugin } from './plugin-catalog.js';
import { PluginPool } from './plugin-pool.js';

/**
 * Tools as untrusted Wasm plugins. Before a plugin runs, each capability its arguments need must
 * be granted (or the user is asked); the plugin then runs with exactly those capabilities, and the
 * host functions it calls check every access again.
 */
export class WasmToolProvider implements ToolProvider {
  readonly name = 'wasm-sandbox';
  private readonly pools = new Map<string, PluginPool>();
  private readonly outputs = new Map<string, ValidateFunction>();

  constructor(
    plugins: readonly VerifiedPlugin[],
    private readonly services: SandboxServices,
  ) {
    const ajv = new Ajv({ strict: false });
    for (const plugin of plugins) {
      this.pools.set(plugin.manifest.name, new PluginPool(plugin.manifest, plugin.bytes));
      if (plugin.manifest.outputSchema) this.outputs.set(plugin.manifest.name, ajv.compile(plugin.manifest.outputSchema));
    }
  }

  manifests(): ToolManifest[] {
    return [...this.pools.values()].map((pool) => pool.manifest);
  }

  /** Starts an instance of these tools in the background (an agent was spawned that uses them). */
  warm(tools: readonly string[]): void {
    for (const tool of tools) void this.pools.get(tool)?.warm().catch(() => {});
  }

  async invoke(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<unknown> {
    const pool = this.pools.get(name);
    if (!pool) throw new KernelError('UNKNOWN_TOOL', `the sandbox has no tool "${name}"`);
    const granted = await authorizeCall(this.services, pool.manifest, args, context);
    const auditor = callAuditor(this.services, context, args);
    const finish = auditToolRun(this.services, context, name, args, granted);
    let text: string;
    try {
      text = await pool.call(JSON.stringify(args), {
        pid: context.pid,
        agentId: context.agentId,
        tool: name,
        granted,
        deadline: Date.now() + pool.manifest.limits.timeMs,
        maxBytes: pool.manifest.limits.outputBytes,
        protectedRoots: this.services.grants.protectedRoots,
        ...(context.syscall ? { syscall: context.syscall } : {}),
        audit: (decision) => auditor.record(decision),
      });
    } catch (error) {
      const failure = error instanceof KernelError ? error : new KernelError('TOOL_FAILED', `${name}: ${(error as Error).message}`);
      // The message may carry what the plugin wrote (its error text): bounded before the audit log and the journal.
      const kernelError = new KernelError(failure.code, clip(failure.message), failure.data);
      // The call's capability decisions (and their counts) go before its tool record.
      auditor.flush();
      finish(kernelError.code === 'TIMEOUT' ? 'timeout' : 'error', kernelError.message, null);
      throw kernelError;
    } finally {
      auditor.flush();
    }
    let reply: { ok?: boolean; value?: unknown; error?: string };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      finish('error', 'output is not JSON', text.length);
      throw new KernelError('TOOL_FAILED', `${name} answered something that is not JSON`);
    }
    if (reply.ok !== true) {
      const reason = clip(typeof reply.error === 'string' ? reply.error : 'failed without a reason');
      finish('error', reason, text.length);
      throw new KernelError('TOOL_FAILED', `${name}: ${reason}`, { tool: name });
    }
    const validate = this.outputs.get(name);
    if (validate && !validate(reply.value)) {
      finish('error', 'output does not match the output schema', text.length);
      throw new KernelError('TOOL_FAILED', `${name} answered with output that does not match its schema`);
    }
    finish('ok', 'completed', text.length);
    return reply.value;
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((pool) => pool.dispose()));
  }
}
