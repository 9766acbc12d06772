import { Ajv, type ValidateFunction } from 'ajv';
import type { ToolManifest } from '../../../src-shared/index.js';
import type { AuditLog } from '../core/audit-log.js';
import { digestArgs } from '../core/audit-log.js';
import { KernelError } from '../core/kernel-error.js';
import type { ToolCallContext, ToolProvider } from '../tools/index.js';
import { neededCapabilities, type NeededCapability } from './capability-check.js';
import type { GrantBroker } from './grant-broker.js';
import type { GrantStore } from './grant-store.js';
import type { VerifiedPlugin } from './plugin-catalog.js';
import { PluginPool } from './plugin-pool.js';

export interface SandboxServices {
  grants: GrantStore;
  broker: GrantBroker;
  audit: AuditLog;
}

const DENIED_BY: Record<string, string> = {
  user: 'the user denied it',
  timeout: 'nobody answered the request in time',
  'no-approver': 'no approver (UI or `amk grants watch`) is attached to ask; grant it ahead with `amk grants add`',
  policy: "the agent's sandbox policy does not allow it",
};

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

  private async authorize(tool: ToolManifest, args: Record<string, unknown>, context: ToolCallContext): Promise<NeededCapability[]> {
    const needs = await neededCapabilities(tool.requires, args, context.agentId);
    const digest = digestArgs(args);
    for (const need of needs) {
      const record = (outcome: 'allowed' | 'denied', reason: string): void => {
        this.services.audit.append({
          pid: context.pid,
          agentId: context.agentId,
          kind: 'capability',
          name: tool.name,
          argsDigest: digest,
          capability: need.capability,
          outcome,
          reason,
          resultBytes: null,
          durationMs: null,
        });
      };
      const existing = this.services.grants.use(context.agentId, tool.name, need.parsed);
      if (existing) {
        record('allowed', `grant ${existing.id} (${existing.scope})`);
        continue;
      }
      context.onBlocked?.(`waiting for a grant: ${need.capability}`);
      let answer;
      try {
        answer = await this.services.broker.ask({ ...context, tool: tool.name, args }, need);
      } finally {
        context.onBlocked?.(null);
      }
      if (answer.decision === 'deny') {
        record('denied', DENIED_BY[answer.by]!);
        throw new KernelError('CAPABILITY_DENIED', `${tool.name} needs to ${need.summary} (${need.capability}), and ${DENIED_BY[answer.by]}`, {
          capability: need.capability,
          by: answer.by,
        });
      }
      // Identical asks share one answer: the first call records the grant, the others find it.
      const shared = answer.decision !== 'allow-once' ? this.services.grants.use(context.agentId, tool.name, need.parsed) : null;
      if (shared) {
        record('allowed', `the user allowed it (${shared.scope}, grant ${shared.id})`);
        continue;
      }
      const scope = answer.decision === 'allow-always' ? 'always' : answer.decision === 'allow-session' ? 'session' : 'once';
      const grant = this.services.grants.add(context.agentId, tool.name, need.capability, scope);
      this.services.grants.use(context.agentId, tool.name, need.parsed);
      record('allowed', `the user allowed it (${grant.scope}, grant ${grant.id})`);
    }
    return needs;
  }

  async invoke(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<unknown> {
    const pool = this.pools.get(name);
    if (!pool) throw new KernelError('UNKNOWN_TOOL', `the sandbox has no tool "${name}"`);
    const granted = await this.authorize(pool.manifest, args, context);
    const started = performance.now();
    const digest = digestArgs(args);
    const finish = (outcome: 'ok' | 'error' | 'timeout', reason: string, resultBytes: number | null): void => {
      this.services.audit.append({
        pid: context.pid,
        agentId: context.agentId,
        kind: 'tool',
        name,
        argsDigest: digest,
        capability: granted.map((need) => need.capability).join(' ') || null,
        outcome,
        reason,
        resultBytes,
        durationMs: performance.now() - started,
      });
    };
    let text: string;
    try {
      text = await pool.call(JSON.stringify(args), {
        pid: context.pid,
        agentId: context.agentId,
        tool: name,
        granted,
        deadline: Date.now() + pool.manifest.limits.timeMs,
        maxBytes: pool.manifest.limits.outputBytes,
        ...(context.syscall ? { syscall: context.syscall } : {}),
        audit: (entry) =>
          this.services.audit.append({ pid: context.pid, agentId: context.agentId, kind: 'capability', argsDigest: digest, resultBytes: null, durationMs: null, ...entry }),
      });
    } catch (error) {
      const kernelError = error instanceof KernelError ? error : new KernelError('TOOL_FAILED', `${name}: ${(error as Error).message}`);
      finish(kernelError.code === 'TIMEOUT' ? 'timeout' : 'error', kernelError.message, null);
      throw kernelError;
    }
    let reply: { ok?: boolean; value?: unknown; error?: string };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      finish('error', 'output is not JSON', text.length);
      throw new KernelError('TOOL_FAILED', `${name} answered something that is not JSON`);
    }
    if (reply.ok !== true) {
      finish('error', String(reply.error ?? 'failed'), text.length);
      throw new KernelError('TOOL_FAILED', `${name}: ${reply.error ?? 'failed without a reason'}`, { tool: name });
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
