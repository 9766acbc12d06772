import { z } from 'zod';

/** Stable error codes: clients branch on these, never on message text. */
export const ErrorCode = z.enum([
  'INVALID_REQUEST',
  'INVALID_MANIFEST',
  'UNKNOWN_METHOD',
  'UNKNOWN_PROCESS',
  'UNKNOWN_AGENT',
  'UNKNOWN_TOOL',
  'INVALID_TOOL_ARGS',
  'INVALID_STATE',
  'TOOL_FAILED',
  'CAPABILITY_DENIED',
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
  'MODEL_NOT_LOADED',
  'UNAUTHORIZED',
  'FORBIDDEN_ORIGIN',
  'TIMEOUT',
  'JOURNAL_CORRUPT',
  'KV_STATE_INVALID',
  'MEMORY_UNAVAILABLE',
  /** A core (remote inference engine) stopped answering; the work moves to another core. */
  'CORE_UNAVAILABLE',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The shape an error takes when it crosses a process or network boundary. */
export const ErrorPayload = z.object({
  code: ErrorCode,
  message: z.string(),
  data: z.unknown().optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayload>;

/** Turns zod issues into one line that names every offending field. */
export function describeIssues(error: z.ZodError, subject: string): string {
  const parts = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `field \`${field}\`: ${issue.message}`;
  });
  return `${subject}: ${parts.join('; ')}`;
}
