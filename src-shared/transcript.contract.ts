import { z } from 'zod';
import { ErrorPayload } from './errors.js';

/** One agent's history, rebuilt from the journal after a crash. */
export const TranscriptEntry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('task'), text: z.string() }),
  /** Raw model output of one step, including a partial step cut short by a crash. */
  z.object({ kind: z.literal('output'), step: z.number(), text: z.string() }),
  /** The partial output of a step cut short by a kernel restart; the step was generated again. */
  z.object({ kind: z.literal('interrupted'), step: z.number(), text: z.string(), reason: z.string() }),
  z.object({ kind: z.literal('tool-call'), step: z.number(), tool: z.string(), args: z.record(z.string(), z.unknown()) }),
  z.object({
    kind: z.literal('tool-result'),
    step: z.number(),
    tool: z.string(),
    ok: z.boolean(),
    value: z.unknown().optional(),
    error: ErrorPayload.optional(),
  }),
  z.object({ kind: z.literal('input'), afterStep: z.number(), text: z.string() }),
  z.object({ kind: z.literal('rejected'), step: z.number(), error: ErrorPayload }),
  z.object({ kind: z.literal('answer'), step: z.number(), text: z.string() }),
]);
export type TranscriptEntry = z.infer<typeof TranscriptEntry>;
