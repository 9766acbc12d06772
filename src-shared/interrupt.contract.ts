import { z } from 'zod';
import { InterruptTrigger } from './manifest.contract.js';

export const InterruptSource = z.enum(['timer', 'folder', 'user-input', 'webhook', 'abort']);
export type InterruptSource = z.infer<typeof InterruptSource>;

/** A trigger armed for a handler agent. */
export const InterruptBinding = z.object({
  id: z.string(),
  agentId: z.string(),
  trigger: InterruptTrigger,
  /** Most handler dispatches per second; beyond, interrupts are coalesced (and counted), never dropped. */
  maxPerSecond: z.number().positive(),
  createdAt: z.number(),
});
export type InterruptBinding = z.infer<typeof InterruptBinding>;

export const InterruptStats = z.object({
  bindingId: z.string(),
  raised: z.number().int().nonnegative(),
  dispatched: z.number().int().nonnegative(),
  coalesced: z.number().int().nonnegative(),
  /** Raised but not yet handed to a handler (waiting for the running one, or the rate limit). */
  pending: z.number().int().nonnegative(),
});
export type InterruptStats = z.infer<typeof InterruptStats>;
