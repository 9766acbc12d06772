import { z } from 'zod';
import type { ProcessInfo } from '../../src-shared/index.js';
import { defaultPriorityClass, describeIssues, isTerminal, PriorityClass } from '../../src-shared/index.js';
import { KernelError, type ExternalProcess, type Kernel } from '../kernel/index.js';
import { requireRead, requireWrite, visibleProcess } from './process-access.js';

/** Who is asking: the MCP client's process, as the identity its token gave it. */
export type Caller = ExternalProcess;

interface Operation<S extends z.ZodType> {
  description: string;
  schema: S;
  run(kernel: Kernel, args: z.infer<S>, caller: Caller, signal: AbortSignal): unknown;
}

const Pid = z.number().int().positive();

function operation<S extends z.ZodType>(spec: Operation<S>): Operation<z.ZodType> {
  return spec as unknown as Operation<z.ZodType>;
}

/** The exited process, or null when the time runs out or the request is cancelled (the kernel's wait says TIMEOUT for both). */
async function waitForExit(kernel: Kernel, pid: number, timeoutMs: number, signal: AbortSignal): Promise<ProcessInfo | null> {
  try {
    return await kernel.wait(pid, timeoutMs, signal);
  } catch (error) {
    if (error instanceof KernelError && error.code === 'TIMEOUT') return null;
    throw error;
  }
}

/**
 * The kernel's own operations as MCP tools: an external agent starts kernel agents, gives them
 * work and reads their results. Each runs under the kernel's scheduling, sandbox and audit.
 */
export const KERNEL_OPERATIONS: Record<string, Operation<z.ZodType>> = {
  list_agents: operation({
    description: 'List the agents in the kernel gallery (ids to pass to spawn_agent), with their tools.',
    schema: z.object({}).strict(),
    run: (kernel) => ({ agents: kernel.listGallery().map((a) => ({ id: a.id, name: a.name, kind: a.kind, description: a.description, tools: a.tools })) }),
  }),
  spawn_agent: operation({
    description:
      'Start a kernel agent on a task: a gallery agent by id (`agent`) or a whole agent manifest (`manifest`). It is scheduled on the local model; returns its process (pid).',
    schema: z
      .object({
        agent: z.string().min(1).optional().describe('a gallery agent id (see list_agents)'),
        manifest: z.record(z.string(), z.unknown()).optional().describe('a whole agent manifest, instead of a gallery id'),
        task: z.string().min(1).max(100_000),
        priorityClass: PriorityClass.optional(),
      })
      .strict()
      .refine((args) => (args.agent === undefined) !== (args.manifest === undefined), { message: 'give exactly one of agent or manifest' }),
    run: (kernel, args, caller) => {
      // A client's own manifest runs under an id of its namespace: reusing an installed agent's id inherits nothing.
      const agent = args.manifest ? { ...args.manifest, id: kernel.access.namespacedAgentId(caller.identity, args.manifest.id) } : args.agent!;
      // Realtime preempts every agent of the user's: only the user gives it (asked for, or a manifest's default).
      const manifest = kernel.resolveManifest(agent);
      if (!caller.identity.admin && (args.priorityClass ?? manifest.priority?.class ?? defaultPriorityClass(manifest.kind)) === 'realtime') {
        throw new KernelError('CAPABILITY_DENIED', `an MCP client may not start ${manifest.id} at realtime priority (it preempts every other agent): ask for interactive or lower`);
      }
      const process = kernel.spawn(agent, args.task, args.priorityClass);
      kernel.access.recordSpawn(process.pid, caller.agentId);
      return { process };
    },
  }),
  send_task: operation({
    description:
      "Send a message to a live kernel agent: an interactive agent takes it at its next step (at interrupt priority); others find it in their mailbox. A process this client did not start needs the user's ipc:AGENT grant (asked if missing).",
    schema: z.object({ pid: Pid, text: z.string().min(1).max(100_000) }).strict(),
    run: async (kernel, args, caller, signal) => {
      await requireWrite(kernel, caller, args.pid, 'send_task', args, signal);
      const info = kernel.table.get(args.pid);
      if (info.kind === 'interactive') return { delivered: 'input', process: kernel.input(args.pid, args.text) };
      return { delivered: 'mailbox', ...kernel.send(args.pid, args.text, caller.agentId) };
    },
  }),
  wait_process: operation({
    description: 'Wait until a kernel process exits, at most timeoutMs (default 60 s). Returns whether it exited and its process entry.',
    schema: z.object({ pid: Pid, timeoutMs: z.number().int().positive().max(600_000).default(60_000) }).strict(),
    run: async (kernel, args, caller, signal) => {
      await requireRead(kernel, caller, args.pid, 'wait_process', args, signal);
      const exited = await waitForExit(kernel, args.pid, args.timeoutMs, signal);
      return { exited: exited !== null, process: exited ?? kernel.table.get(args.pid) };
    },
  }),
  read_result: operation({
    description:
      "Read a kernel process's result: its state, exit status and final answer, and its transcript (tool calls, results, output). Another client's or agent's process needs the user's proc:read grant (asked if missing).",
    schema: z.object({ pid: Pid }).strict(),
    run: async (kernel, args, caller, signal) => {
      await requireRead(kernel, caller, args.pid, 'read_result', args, signal);
      const info = kernel.table.get(args.pid);
      return { process: info, answer: info.exit?.answer ?? null, transcript: kernel.transcript(args.pid) };
    },
  }),
  list_processes: operation({
    description:
      'List the processes of the kernel (live only, or all with all=true): agents and connected MCP clients. Processes this client may not read (not its own, no proc:read grant) show only their pid, agent and state.',
    schema: z.object({ all: z.boolean().default(false) }).strict(),
    run: (kernel, args, caller) => ({
      processes: kernel
        .listProcesses()
        .filter((p) => args.all || !isTerminal(p.state))
        .map((p) => visibleProcess(kernel, caller, p)),
    }),
  }),
};

export function operationTools(): { name: string; description: string; inputSchema: { type: 'object'; [key: string]: unknown } }[] {
  return Object.entries(KERNEL_OPERATIONS).map(([name, op]) => {
    const { $schema: _ignored, ...schema } = z.toJSONSchema(op.schema, { io: 'input' }) as Record<string, unknown>;
    return { name, description: op.description, inputSchema: { ...schema, type: 'object' } };
  });
}

export async function runOperation(kernel: Kernel, name: string, args: unknown, caller: Caller, signal: AbortSignal): Promise<unknown> {
  const op = Object.hasOwn(KERNEL_OPERATIONS, name) ? KERNEL_OPERATIONS[name] : undefined;
  if (!op) throw new KernelError('UNKNOWN_TOOL', `no kernel operation "${name}"`);
  const parsed = op.schema.safeParse(args ?? {});
  if (!parsed.success) throw new KernelError('INVALID_TOOL_ARGS', describeIssues(parsed.error, `${name} arguments`));
  return op.run(kernel, parsed.data, caller, signal);
}
