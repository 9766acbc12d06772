import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig, McpServerHealth } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';
import { KernelError } from '../core/kernel-error.js';
import type { Launch } from './os-sandbox.js';

/** The least a server's start gets when its configuration names no start limit of its own. */
const MIN_START_BUDGET_MS = 30_000;

/** One tool as the server listed it. */
export interface ServerTool {
  name: string;
  description: string;
  inputSchema: unknown;
}

/** More than this many tools from one server is a misbehaving server; the rest are ignored. */
const MAX_TOOLS = 500;
const STDERR_TAIL = 1500;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One external MCP server, isolated: it is started on first use, each request has the server's
 * time limit, and a server that exits or hangs is stopped and marked unhealthy (with the reason)
 * without affecting anything else. The next call starts it again.
 */
export class McpConnection implements Disposable {
  health: McpServerHealth = 'stopped';
  error: string | null = null;
  restarts = 0;
  checkedAt: number | null = null;
  /** From the last successful listing; kept while the server is down, so a call can restart it. */
  tools: ServerTool[] = [];
  private client: Client | null = null;
  private opening: Promise<Client> | null = null;
  private starting: Client | null = null;
  private starts = 0;
  private stderrTail = '';
  private disposed = false;

  constructor(
    readonly config: McpServerConfig,
    private readonly options: {
      version: string;
      onDidListTools: () => void;
      /** The process to start for a stdio server: its command, or bwrap around it. */
      launch: (transport: Extract<McpServerConfig['transport'], { kind: 'stdio' }>) => Promise<Launch>;
    },
  ) {}

  get name(): string {
    return this.config.name;
  }

  /** The live client: started, or restarted after a failure. */
  connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.opening ??= this.open().finally(() => (this.opening = null));
    return this.opening;
  }

  private async open(): Promise<Client> {
    if (this.disposed) throw new KernelError('TOOL_FAILED', `MCP server ${this.name} is stopped`);
    if (this.starts++ > 0) this.restarts++;
    this.setHealth('starting', null);
    this.stderrTail = '';
    const client = new Client({ name: 'agentic-microkernel', version: this.options.version });
    this.starting = client;
    // A transport error ends in onclose, which is where the failure is recorded.
    client.onerror = () => {};
    client.onclose = () => this.lost(client);
    const timeout = this.config.startTimeoutMs ?? Math.max(this.config.timeoutMs, MIN_START_BUDGET_MS);
    try {
      await client.connect(await this.transport(), { timeout });
      this.tools = client.getServerCapabilities()?.tools ? await listTools(client, timeout) : [];
    } catch (error) {
      this.starting = null;
      const hung = error instanceof McpError && error.code === ErrorCode.RequestTimeout;
      const reason = hung ? `did not start within ${timeout} ms` : `could not be started: ${describe(error)}`;
      this.setHealth('unhealthy', `${reason}${this.stderrNote()}`);
      void client.close().catch(() => {});
      throw new KernelError(hung ? 'TIMEOUT' : 'TOOL_FAILED', `MCP server ${this.name} ${reason}${this.stderrNote()}`, { server: this.name });
    }
    this.starting = null;
    if (this.disposed) {
      void client.close().catch(() => {});
      throw new KernelError('TOOL_FAILED', `MCP server ${this.name} is stopped`);
    }
    this.client = client;
    this.setHealth('healthy', null);
    this.options.onDidListTools();
    return client;
  }

  private async transport(): Promise<Transport> {
    const spec = this.config.transport;
    if (spec.kind === 'http') return new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers: spec.headers } });
    // The SDK adds a minimal inherited environment (PATH, HOME, ...) to these variables.
    const launch = await this.options.launch(spec);
    const stdio = new StdioClientTransport({ command: launch.command, args: launch.args, env: launch.env, stderr: 'pipe', ...(launch.cwd ? { cwd: launch.cwd } : {}) });
    stdio.stderr?.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + String(chunk)).slice(-STDERR_TAIL)));
    return stdio;
  }

  private stderrNote(): string {
    const tail = this.stderrTail.trim();
    return tail ? ` (stderr: ${tail.split('\n').slice(-5).join(' | ')})` : '';
  }

  /** The connection closed without the kernel closing it: the server exited or dropped the stream. */
  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    const what = this.config.transport.kind === 'stdio' ? 'the server process exited' : 'the connection closed';
    this.setHealth('unhealthy', `${what}${this.stderrNote()}; restarted on next use`);
  }

  /** Stops a server that misbehaved; the next call starts a fresh one. */
  private isolate(client: Client, reason: string): void {
    if (this.client === client) {
      this.client = null;
      this.setHealth('unhealthy', reason);
    }
    void client.close().catch(() => {});
  }

  private setHealth(health: McpServerHealth, error: string | null): void {
    this.health = health;
    this.error = error;
    this.checkedAt = Date.now();
  }

  /** One tool call, within the server's time limit. Tool-level errors come back in the result (`isError`). */
  async call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    const client = await this.connect();
    const timeout = this.config.timeoutMs;
    try {
      return (await client.callTool({ name: tool, arguments: args }, undefined, { timeout, signal })) as CallToolResult;
    } catch (error) {
      if (signal.aborted) throw new KernelError('INVALID_STATE', `the call to ${tool} of MCP server ${this.name} was cancelled`);
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        this.isolate(client, `hung: no answer to ${tool} within ${timeout} ms, so it was stopped; restarted on next use`);
        throw new KernelError('TIMEOUT', `MCP server ${this.name} did not answer ${tool} within ${timeout} ms: it was stopped, and starts again on next use`, {
          server: this.name,
          tool,
        });
      }
      if ((error instanceof McpError && error.code === ErrorCode.ConnectionClosed) || this.client !== client) {
        this.isolate(client, this.error ?? 'the connection closed; restarted on next use');
        throw new KernelError('TOOL_FAILED', `MCP server ${this.name} failed during ${tool}: ${this.error ?? 'the connection closed'}`, { server: this.name, tool });
      }
      throw new KernelError('TOOL_FAILED', `MCP server ${this.name}: ${tool} failed: ${describe(error)}`, { server: this.name, tool });
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const clients = [this.client, this.starting].filter((client): client is Client => client !== null);
    this.client = null;
    this.starting = null;
    this.setHealth('stopped', null);
    await Promise.allSettled(clients.map((client) => client.close()));
  }
}

async function listTools(client: Client, timeout: number): Promise<ServerTool[]> {
  const tools: ServerTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout });
    for (const tool of page.tools) tools.push({ name: tool.name, description: tool.description ?? tool.title ?? '', inputSchema: tool.inputSchema });
    cursor = page.nextCursor;
  } while (cursor && tools.length < MAX_TOOLS);
  return tools.slice(0, MAX_TOOLS);
}
