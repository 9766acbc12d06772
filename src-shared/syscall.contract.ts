import { z } from 'zod';
import { ErrorPayload } from './errors.js';
import { ToolName } from './tool.contract.js';

/** Every agent action that leaves the agent is one of these. */
export const SyscallRequest = z.discriminatedUnion('call', [
  z.object({ call: z.literal('tool.call'), tool: ToolName, args: z.record(z.string(), z.unknown()) }).strict(),
  z.object({ call: z.literal('proc.exit'), answer: z.string() }).strict(),
  /** Hybrid search of the agent's paged-out memory (or, with a grant, another agent's). */
  z.object({ call: z.literal('memory.search'), query: z.string().min(1), k: z.number().int().positive().max(20), agent: z.string().optional() }).strict(),
  /** A message to the mailbox of the live process of another agent, read at its next step. */
  z.object({ call: z.literal('ipc.send'), to: z.string().min(1).max(64), text: z.string().min(1).max(8000) }).strict(),
  /** Replaces the agent's pinned working-memory block. */
  z.object({ call: z.literal('memory.pin'), text: z.string().max(4000) }).strict(),
]);
export type SyscallRequest = z.infer<typeof SyscallRequest>;
export type SyscallName = SyscallRequest['call'];

/**
 * What each syscall answers the agent. The kernel's handlers are typed from these
 * (`SyscallResult`), so a handler returning another shape does not compile.
 */
export const syscallResults = {
  /** A tool's own output: its JSON Schema (checked by the tool registry) says the shape. */
  'tool.call': z.unknown(),
  'proc.exit': z.object({ exited: z.literal(true) }),
  'memory.search': z.object({
    results: z.array(z.object({ blockId: z.string(), agent: z.string(), role: z.string(), text: z.string(), score: z.number(), pagedAt: z.number() })),
  }),
  'ipc.send': z.object({ to: z.number(), queued: z.number() }),
  'memory.pin': z.object({ pinned: z.number() }),
} as const satisfies Record<SyscallName, z.ZodType>;
export type SyscallResult<C extends SyscallName> = z.infer<(typeof syscallResults)[C]>;

export const SyscallResponse = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorPayload }),
]);
export type SyscallResponse = z.infer<typeof SyscallResponse>;

/** What the model emits each step, validated before it becomes a syscall. */
export const AgentAction = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tool'), tool: ToolName, args: z.record(z.string(), z.unknown()) }).strict(),
  z.object({ type: z.literal('final'), answer: z.string() }).strict(),
]);
export type AgentAction = z.infer<typeof AgentAction>;
