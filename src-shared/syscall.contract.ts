import { z } from 'zod';
import { ErrorPayload } from './errors.js';
import { ToolName } from './tool.contract.js';

/** Every agent action that leaves the agent is one of these. */
export const SyscallRequest = z.discriminatedUnion('call', [
  z.object({ call: z.literal('tool.call'), tool: ToolName, args: z.record(z.string(), z.unknown()) }).strict(),
  z.object({ call: z.literal('proc.exit'), answer: z.string() }).strict(),
]);
export type SyscallRequest = z.infer<typeof SyscallRequest>;
export type SyscallName = SyscallRequest['call'];

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
