import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ErrorPayload, SyscallResponse } from '../../src-shared/index.js';
import { digestArgs, KernelError, toErrorPayload, type ClientIdentity, type ExternalProcess, type Kernel } from '../kernel/index.js';
import { KERNEL_OPERATIONS, operationTools, runOperation } from './kernel-operations.js';
import { mayRead, visibleProcess } from './process-access.js';

/** The most audit records `amk://audit` returns (the newest). */
const AUDIT_RESOURCE_LIMIT = 500;

export interface KernelMcpSession {
  readonly server: McpServer;
  /** Who the session is: from the token it opened with, never from the client's own name. */
  readonly identity: ClientIdentity;
  /** The client's process, once it has initialized. */
  readonly process: ExternalProcess | null;
  close(): Promise<void>;
}

function ok(value: unknown): CallToolResult {
  const structured = typeof value === 'object' && value !== null && !Array.isArray(value) ? { structuredContent: value as Record<string, unknown> } : {};
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) ?? 'null' }], ...structured };
}

function failed(error: ErrorPayload): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }], structuredContent: { error } };
}

function fromSyscall(response: SyscallResponse): CallToolResult {
  return response.ok ? ok(response.value) : failed(response.error);
}

/**
 * One MCP session with the kernel (stdio, or one Streamable HTTP session). The client appears in
 * the process table as an external process from `initialized` until the session closes. Sandboxed
 * tools are called as `tool.call` syscalls of that process (grants, approval, audit, as for an
 * agent); the kernel's operations spawn, feed, wait for and read kernel agents.
 */
export function createKernelMcpSession(kernel: Kernel, transportName: 'stdio' | 'http', identity: ClientIdentity): KernelMcpSession {
  const mcp = new McpServer(
    { name: 'agentic-microkernel', version: kernel.config.version },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        'The Agentic Microkernel: its sandboxed tools run under the user\'s grants (a call may wait for the user to approve it, or be denied), ' +
        'and every call is audited. spawn_agent, send_task, wait_process and read_result run agents on the local model.',
    },
  );
  const low = mcp.server;
  let external: ExternalProcess | null = null;
  let closed = false;

  /** One process per session: once it has exited (the user killed it), the session's calls fail. */
  const attach = (): ExternalProcess => {
    if (closed) throw new KernelError('INVALID_STATE', 'the MCP session is closed');
    if (external) return external;
    const client = low.getClientVersion();
    // What the client says it is, shown as a detail only: its identity is the token's.
    const says = `${client?.name ?? 'unnamed'} ${client?.version ?? ''}`.trim().slice(0, 200);
    const by = identity.admin ? "the administrator's token" : `token ${identity.name}`;
    external = kernel.attachExternal(identity, `MCP session over ${transportName} (${by}); the client says it is ${says}`);
    return external;
  };
  low.oninitialized = () => {
    if (!closed) attach();
  };
  low.onclose = () => {
    closed = true;
    external?.close('the MCP session closed');
  };

  low.setRequestHandler(ListToolsRequestSchema, () => {
    const operations = new Set(Object.keys(KERNEL_OPERATIONS));
    const sandboxed = kernel
      .listTools()
      .filter((tool) => !operations.has(tool.name))
      .map((tool) => ({ name: tool.name, description: tool.description, inputSchema: { ...tool.inputSchema, type: 'object' as const } }));
    return { tools: [...operationTools(), ...sandboxed] };
  });

  low.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const caller = attach();
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    if (!caller.alive) {
      return failed({ code: 'INVALID_STATE', message: `this session's process ${caller.pid} has ended (killed by the user?): reconnect to start a new one` });
    }
    // Own keys only: `constructor` or `__proto__` are not kernel operations (they are sandboxed tool names, unknown).
    if (!Object.hasOwn(KERNEL_OPERATIONS, name)) {
      try {
        return fromSyscall(await caller.callTool(name, args, extra.signal));
      } catch (error) {
        return failed(toErrorPayload(error));
      }
    }
    const started = performance.now();
    let result: CallToolResult;
    try {
      result = ok(await runOperation(kernel, name, args, caller, AbortSignal.any([extra.signal, caller.signal])));
    } catch (error) {
      result = failed(toErrorPayload(error));
    }
    // The kernel's operations are the client's syscalls too: audited under its process.
    kernel.audit.append({
      pid: caller.pid,
      agentId: caller.agentId,
      kind: 'syscall',
      name: `mcp ${name}`,
      argsDigest: digestArgs(args),
      capability: null,
      outcome: result.isError ? 'error' : 'ok',
      reason: result.isError ? String((result.content[0] as { text?: string }).text).slice(0, 500) : 'completed',
      resultBytes: result.isError ? null : JSON.stringify(result.structuredContent ?? null).length,
      durationMs: performance.now() - started,
    });
    return result;
  });

  const json = (uri: string, value: unknown) => ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] });
  mcp.registerResource(
    'processes',
    'amk://processes',
    { title: 'Process table', description: 'Every process of the kernel: agents and MCP clients, their state, priority and counters.', mimeType: 'application/json' },
    (uri) => {
      const caller = attach();
      return json(uri.href, kernel.listProcesses().map((info) => visibleProcess(kernel, caller, info)));
    },
  );
  mcp.registerResource(
    'audit',
    'amk://audit',
    {
      title: 'Audit log',
      description: `The newest ${AUDIT_RESOURCE_LIMIT} records of the hash-chained audit log about this client and the processes it may read: syscalls, tool runs, capability decisions, grants.`,
      mimeType: 'application/json',
    },
    (uri) => {
      const caller = attach();
      // Other processes' records (their arguments' digests, the paths and hosts they were granted) are theirs.
      const readable = (pid: number | null): boolean => pid !== null && kernel.table.has(pid) && mayRead(kernel, caller, kernel.table.get(pid));
      const records = kernel.audit.query({ limit: AUDIT_RESOURCE_LIMIT * 10 }).filter((r) => r.agentId === caller.agentId || readable(r.pid));
      return json(uri.href, records.slice(-AUDIT_RESOURCE_LIMIT));
    },
  );

  return {
    server: mcp,
    identity,
    get process() {
      return external;
    },
    async close() {
      closed = true;
      external?.close('the MCP session closed');
      await mcp.close();
    },
  };
}
