import { isAbsolute, join, resolve } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig, McpServerStatus, McpTransportConfig, ToolManifest } from '../../../src-shared/index.js';
import { ToolManifest as ToolManifestSchema } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';
import { KernelError } from '../core/kernel-error.js';
import { auditToolRun, authorizeCall, type SandboxServices } from '../sandbox/index.js';
import type { ToolCallContext, ToolProvider, ToolRegistry } from '../tools/index.js';
import { McpConnection, type ServerTool } from './mcp-connection.js';
import { confinedLaunch, describeConfinement, probeOsSandbox, type Launch, type OsSandbox } from './os-sandbox.js';
import { approveRegistration, auditRegistration, describeServer } from './server-registration.js';
import { ServerListFile } from './server-list-file.js';
import { cleanInputSchema, exposedToolName, unexposableReason } from './tool-naming.js';

export interface McpClientsOptions {
  dataDir: string;
  version: string;
  tools: ToolRegistry;
  services: SandboxServices;
  /** How long boot waits for the servers to start; slower ones register their tools when they are up. */
  bootWaitMs?: number;
  /** Where bubblewrap is (the `bwrapPath` setting); looked up on PATH when unset. */
  bwrapPath?: string;
}

type StdioTransport = Extract<McpTransportConfig, { kind: 'stdio' }>;

interface ExposedTool {
  connection: McpConnection;
  tool: ServerTool;
  manifest: ToolManifest;
}

const OUTPUT_BYTES = 64 * 1024;
const HIDDEN = '(hidden)';

function hideValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).map((key) => [key, HIDDEN]));
}

function redact(transport: McpTransportConfig): McpTransportConfig {
  return transport.kind === 'stdio' ? { ...transport, env: hideValues(transport.env) } : { ...transport, headers: hideValues(transport.headers) };
}

/** What an agent gets back: the server's structured content, or its content as text. */
function resultValue(result: CallToolResult): Record<string, unknown> {
  if (result.structuredContent && !result.isError) return result.structuredContent;
  const parts = (result.content ?? []).map((part) => {
    if (part.type === 'text') return part.text;
    if (part.type === 'resource_link') return `[resource ${part.uri}]`;
    if (part.type === 'resource') return `[resource ${part.resource.uri}]`;
    return `[${part.type} ${'mimeType' in part ? part.mimeType : ''}]`;
  });
  return { text: parts.join('\n') };
}

/**
 * The kernel as an MCP client: the servers the user registered (`<data dir>/mcp-servers.json`),
 * their tools offered to agents as `mcp__SERVER__TOOL`, each call authorized like a Wasm tool's
 * (an `mcp:SERVER/TOOL` grant, or the user is asked) and audited.
 */
export class McpClients implements Disposable {
  readonly provider: ToolProvider;
  private readonly connections = new Map<string, McpConnection>();
  private readonly file: ServerListFile;
  private exposed = new Map<string, ExposedTool>();
  private skipped = new Map<string, string[]>();
  /** Whether native servers can be confined here: probed once, before any server starts. */
  private readonly probing: Promise<OsSandbox>;
  private sandbox: OsSandbox | null = null;

  constructor(private readonly options: McpClientsOptions) {
    this.probing = probeOsSandbox(options.bwrapPath).then((sandbox) => (this.sandbox = sandbox));
    this.file = new ServerListFile(join(options.dataDir, 'mcp-servers.json'));
    for (const config of this.file.read()) this.connections.set(config.name, this.connectionFor(config));
    this.provider = {
      name: 'mcp',
      manifests: () => [...this.exposed.values()].map((entry) => entry.manifest),
      invoke: (name, args, context) => this.invoke(name, args, context),
    };
  }

  /** Starts every registered server; boot waits a bounded time, the rest come up in the background. */
  async start(): Promise<void> {
    await this.probing;
    const started = Promise.allSettled([...this.connections.values()].map((connection) => connection.connect()));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.bootWaitMs ?? 5_000)));
    await Promise.race([started, bound]);
    clearTimeout(timer);
  }

  list(): McpServerStatus[] {
    return [...this.connections.values()].map((connection) => this.status(connection));
  }

  /**
   * The API's registration: the user approves it (asked through the grant broker, or `approved`
   * by the caller), then the server is added; both are audited.
   */
  async register(config: McpServerConfig, approved: boolean): Promise<McpServerStatus> {
    const { transport } = config;
    const refused = transport.kind === 'stdio' ? transport.folders.find((folder) => !isAbsolute(folder) || resolve(folder) === resolve('/')) : undefined;
    if (refused !== undefined) throw new KernelError('INVALID_REQUEST', `allowed folders must be absolute paths below the root, got "${refused}"`);
    const sandbox = await this.probing;
    const confinement = transport.kind === 'stdio' ? describeConfinement(sandbox, transport) : null;
    await approveRegistration(this.options.services, config, approved, confinement);
    const status = await this.add(config);
    auditRegistration(this.options.services, 'mcp.servers.add', config.name, 'ok', `registered ${config.name}: ${describeServer(config)} (${status.health})`);
    return status;
  }

  /** The API's removal, audited. */
  async unregister(name: string): Promise<void> {
    const config = this.connections.get(name)?.config;
    await this.remove(name);
    auditRegistration(this.options.services, 'mcp.servers.remove', name, 'ok', `removed ${name}${config ? `: ${describeServer(config)}` : ''}`);
  }

  /** Registers (or replaces) a server and starts it; the status says whether it came up, and why not. */
  async add(config: McpServerConfig): Promise<McpServerStatus> {
    const previous = this.connections.get(config.name);
    const connection = this.connectionFor(config);
    this.connections.set(config.name, connection);
    this.save();
    if (previous) {
      await previous.dispose();
      this.refresh();
    }
    await connection.connect().catch(() => {});
    return this.status(connection);
  }

  async remove(name: string): Promise<void> {
    const connection = this.connections.get(name);
    if (!connection) throw new KernelError('INVALID_REQUEST', `no MCP server named "${name}" (${[...this.connections.keys()].join(', ') || 'none registered'})`);
    this.connections.delete(name);
    this.save();
    this.refresh();
    await connection.dispose();
  }

  /** For kernel.info: a file that did not load, servers that are down, tools that could not be offered. */
  warnings(): string[] {
    const warnings = this.file.loadProblem ? [this.file.loadProblem] : [];
    const native = [...this.connections.values()].filter((connection) => connection.config.transport.kind === 'stdio');
    if (this.sandbox?.kind === 'none' && native.length > 0) warnings.push(`MCP servers ${native.map((c) => c.name).join(', ')}: ${this.sandbox.warning}`);
    for (const connection of this.connections.values()) {
      if (connection.health === 'unhealthy') warnings.push(`MCP server ${connection.name} is unhealthy: ${connection.error}`);
      for (const reason of this.skipped.get(connection.name) ?? []) warnings.push(`MCP server ${connection.name}: ${reason}`);
    }
    return warnings;
  }

  private connectionFor(config: McpServerConfig): McpConnection {
    return new McpConnection(config, { version: this.options.version, onDidListTools: () => this.refresh(), launch: (transport) => this.launch(transport) });
  }

  /** The server's own command where nothing can confine it; bwrap around it where bubblewrap works. */
  private async launch(transport: StdioTransport): Promise<Launch> {
    const sandbox = await this.probing;
    if (sandbox.kind === 'none') return { command: transport.command, args: transport.args, env: transport.env, ...(transport.cwd ? { cwd: transport.cwd } : {}) };
    return confinedLaunch(sandbox.bwrap, transport, this.options.dataDir);
  }

  private save(): void {
    this.file.write([...this.connections.values()].map((connection) => connection.config));
  }

  /** Rebuilds the tools agents see from what each server listed last, and re-registers them. */
  private refresh(): void {
    const exposed = new Map<string, ExposedTool>();
    const skipped = new Map<string, string[]>();
    const skip = (server: string, reason: string): void => void skipped.set(server, [...(skipped.get(server) ?? []), reason]);
    for (const connection of this.connections.values()) {
      const { config } = connection;
      for (const tool of connection.tools) {
        const problem = unexposableReason(tool.name);
        const name = exposedToolName(config.name, tool.name);
        if (problem) skip(config.name, `tool ${problem}`);
        else if (exposed.has(name)) skip(config.name, `tool "${tool.name}" is left out: its name ${name} is taken by another tool`);
        else {
          const manifest = ToolManifestSchema.safeParse({
            name,
            description: `${tool.description.trim() || tool.name} (tool ${tool.name} of MCP server ${config.name})`,
            runtime: 'mcp',
            inputSchema: cleanInputSchema(tool.inputSchema),
            requires: [{ kind: 'mcp', server: config.name, tool: tool.name }],
            limits: { timeMs: config.timeoutMs, outputBytes: OUTPUT_BYTES },
          });
          if (manifest.success) exposed.set(name, { connection, tool, manifest: manifest.data });
          else skip(config.name, `tool "${tool.name}" is left out: ${manifest.error.issues[0]?.message ?? 'invalid'}`);
        }
      }
    }
    this.exposed = exposed;
    for (const refusal of this.options.tools.replace(this.provider)) {
      const name = refusal.slice(0, refusal.indexOf(':'));
      const entry = exposed.get(name);
      if (entry) skip(entry.connection.name, `tool "${entry.tool.name}" is left out: ${refusal}`);
      exposed.delete(name);
    }
    this.skipped = skipped;
  }

  private status(connection: McpConnection): McpServerStatus {
    const tools = [...this.exposed.entries()]
      .filter(([, entry]) => entry.connection === connection)
      .map(([name, entry]) => ({ name, serverTool: entry.tool.name, description: entry.tool.description }));
    return {
      name: connection.name,
      transport: redact(connection.config.transport),
      timeoutMs: connection.config.timeoutMs,
      health: connection.health,
      error: connection.error,
      tools,
      skipped: this.skipped.get(connection.name) ?? [],
      restarts: connection.restarts,
      checkedAt: connection.checkedAt,
      ...this.confinement(connection.config.transport),
    };
  }

  private confinement(transport: McpTransportConfig): Pick<McpServerStatus, 'sandbox' | 'network' | 'sandboxWarning'> {
    if (transport.kind === 'http') return { sandbox: 'none', network: true, sandboxWarning: null };
    const sandbox = this.sandbox ?? { kind: 'none', warning: 'checking whether bubblewrap can confine native MCP servers' };
    return sandbox.kind === 'bubblewrap'
      ? { sandbox: 'bubblewrap', network: transport.network, sandboxWarning: null }
      : { sandbox: 'none', network: true, sandboxWarning: sandbox.warning };
  }

  private async invoke(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<unknown> {
    const entry = this.exposed.get(name);
    if (!entry) throw new KernelError('UNKNOWN_TOOL', `no MCP tool "${name}"`, { tool: name });
    const granted = await authorizeCall(this.options.services, entry.manifest, args, context);
    const finish = auditToolRun(this.options.services, context, name, args, granted);
    let result: CallToolResult;
    try {
      result = await entry.connection.call(entry.tool.name, args, context.signal);
    } catch (error) {
      const kernelError = error instanceof KernelError ? error : new KernelError('TOOL_FAILED', `${name}: ${(error as Error).message}`);
      finish(kernelError.code === 'TIMEOUT' ? 'timeout' : 'error', kernelError.message, null);
      throw kernelError;
    }
    const value = resultValue(result);
    const bytes = JSON.stringify(value).length;
    if (result.isError) {
      const reason = String(value.text ?? 'failed').slice(0, 500);
      finish('error', reason, bytes);
      throw new KernelError('TOOL_FAILED', `${name}: ${reason}`, { tool: name });
    }
    if (bytes > OUTPUT_BYTES) {
      finish('error', `${bytes} bytes of output, over the ${OUTPUT_BYTES}-byte limit`, bytes);
      throw new KernelError('TOOL_FAILED', `${name} produced ${bytes} bytes of output, over its ${OUTPUT_BYTES}-byte limit`, { tool: name });
    }
    finish('ok', 'completed', bytes);
    return value;
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.connections.values()].map((connection) => connection.dispose()));
  }
}
