import { Ajv, type ValidateFunction } from 'ajv';
import type { SandboxPolicy, SyscallRequest, SyscallResponse, ToolManifest, ToolManifestInput } from '../../../src-shared/index.js';
import { ToolManifest as ToolManifestSchema, describeIssues } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';

export interface ToolCallContext {
  pid: number;
  agentId: string;
  agentName: string;
  policy: SandboxPolicy;
  signal: AbortSignal;
  /** A kernel service the tool reaches through the dispatcher (memory search), audited like any syscall. */
  syscall?: (request: SyscallRequest) => Promise<SyscallResponse>;
  /** The call waits on the user (a grant request), or no longer does (null). */
  onBlocked?: (reason: string | null) => void;
}

/** Something that runs tools: the kernel's built-ins today, the Wasm sandbox and MCP servers later. */
export interface ToolProvider {
  readonly name: string;
  manifests(): readonly ToolManifestInput[];
  invoke(tool: string, args: Record<string, unknown>, context: ToolCallContext): Promise<unknown>;
}

interface RegisteredTool {
  manifest: ToolManifest;
  provider: ToolProvider;
  validate: ValidateFunction;
}

export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();
  private readonly ajv = new Ajv({ allErrors: true, strict: false });

  register(provider: ToolProvider): void {
    for (const raw of provider.manifests()) this.add(provider, raw);
  }

  /**
   * Replaces every tool of this provider with the ones it offers now (MCP servers come and go).
   * A tool that does not register is left out, not fatal: the reasons are returned.
   */
  replace(provider: ToolProvider): string[] {
    for (const [name, tool] of this.tools) if (tool.provider === provider) this.tools.delete(name);
    const refused: string[] = [];
    for (const raw of provider.manifests()) {
      try {
        this.add(provider, raw);
      } catch (error) {
        refused.push(`${raw.name}: ${(error as Error).message}`);
      }
    }
    return refused;
  }

  private add(provider: ToolProvider, raw: ToolManifestInput): void {
    const parsed = ToolManifestSchema.safeParse(raw);
    if (!parsed.success) throw new KernelError('INVALID_REQUEST', describeIssues(parsed.error, `tool manifest from ${provider.name}`));
    const manifest = parsed.data;
    if (this.tools.has(manifest.name)) {
      throw new KernelError('INVALID_REQUEST', `tool "${manifest.name}" from ${provider.name} is already registered`);
    }
    this.tools.set(manifest.name, { manifest, provider, validate: this.ajv.compile(manifest.inputSchema) });
  }

  list(): ToolManifest[] {
    return [...this.tools.values()].map((tool) => tool.manifest);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  manifest(name: string): ToolManifest {
    return this.require(name).manifest;
  }

  /** Throws INVALID_TOOL_ARGS naming each failing field, before any tool code runs. */
  validateArgs(name: string, args: unknown): void {
    const tool = this.require(name);
    if (tool.validate(args)) return;
    const problems = (tool.validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`);
    throw new KernelError('INVALID_TOOL_ARGS', `arguments for ${name} do not match its schema: ${problems.join('; ')}`, {
      tool: name,
    });
  }

  async invoke(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<unknown> {
    const tool = this.require(name);
    this.validateArgs(name, args);
    try {
      return await tool.provider.invoke(name, args, context);
    } catch (error) {
      if (error instanceof KernelError) throw error;
      throw new KernelError('TOOL_FAILED', `${name} (${tool.provider.name}) failed: ${(error as Error).message}`, { tool: name });
    }
  }

  private require(name: string): RegisteredTool {
    const tool = this.tools.get(name);
    if (!tool) throw new KernelError('UNKNOWN_TOOL', `unknown tool "${name}"`, { tool: name });
    return tool;
  }
}
