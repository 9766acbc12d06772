import { z } from 'zod';
import { Capability } from './capability.contract.js';
import { AgentKind, PriorityClass, Nice } from './process.contract.js';
import { ToolName } from './tool.contract.js';
import { describeIssues } from './errors.js';
import { SandboxPolicy } from './sandbox.contract.js';

export const ModelParams = z
  .object({
    temperature: z.number().min(0).max(2).default(0),
    seed: z.number().int().nonnegative().optional(),
    /** Tokens one step (one tool call or final answer) may take. */
    maxTokensPerStep: z.number().int().positive().max(8192).default(256),
    /** Steps before the kernel stops the agent. */
    maxSteps: z.number().int().positive().max(1000).default(8),
    /** Longest final answer, in characters; keeps small models from rambling forever. */
    maxAnswerChars: z.number().int().positive().max(100_000).default(400),
    /** The first step must be a tool call: the agent grounds its answer in a tool before it may answer. */
    toolFirst: z.boolean().default(false),
    /** The first N steps must all be tool calls (a worker that may not stop early); 0 for none. */
    toolSteps: z.number().int().nonnegative().max(1000).default(0),
  })
  .strict();
export type ModelParams = z.infer<typeof ModelParams>;

export const InterruptTrigger = z.discriminatedUnion('source', [
  z.object({ source: z.literal('timer'), everyMs: z.number().int().positive().optional(), cron: z.string().optional() }).strict(),
  z.object({ source: z.literal('folder'), path: z.string().min(1) }).strict(),
  z.object({ source: z.literal('user-input') }).strict(),
  z.object({ source: z.literal('webhook'), route: z.string().regex(/^[a-z0-9-]+$/) }).strict(),
]);
export type InterruptTrigger = z.infer<typeof InterruptTrigger>;

export const AgentManifest = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'ids are lower-kebab-case, at most 64 characters'),
    name: z.string().min(1).max(80),
    description: z.string().min(1),
    icon: z.string().min(1).default('🤖'),
    systemPrompt: z.string().min(1),
    kind: AgentKind,
    priority: z.object({ class: PriorityClass, nice: Nice.default(0) }).strict().optional(),
    model: ModelParams.default(ModelParams.parse({})),
    tools: z.array(ToolName).default([]),
    /**
     * Narrower schemas for some arguments of some tools, e.g. `{"http_get": {"url": {"enum": [...]}}}`:
     * the grammar lets the model emit only those values, and the kernel checks them again.
     */
    toolArgs: z.record(ToolName, z.record(z.string(), z.record(z.string(), z.unknown()))).default({}),
    /** Capabilities the agent expects to need, shown for approval when it is installed. */
    capabilities: z.array(Capability).default([]),
    /** Bounds what the agent may even ask for; `strict` asks the user for each capability. */
    policy: SandboxPolicy.default('strict'),
    trigger: InterruptTrigger.optional(),
  })
  .strict()
  .superRefine((manifest, ctx) => {
    if (manifest.kind === 'interrupt-handler' && !manifest.trigger) {
      ctx.addIssue({ code: 'custom', path: ['trigger'], message: 'an interrupt-handler needs a trigger' });
    }
  });
export type AgentManifest = z.infer<typeof AgentManifest>;
export type AgentManifestInput = z.input<typeof AgentManifest>;

export function defaultPriorityClass(kind: AgentKind): PriorityClass {
  if (kind === 'interrupt-handler') return 'realtime';
  return kind === 'interactive' ? 'interactive' : 'background';
}

export type ManifestResult = { ok: true; manifest: AgentManifest } | { ok: false; message: string };

/** Parses a manifest from unknown input; the message names each bad field. */
export function parseAgentManifest(input: unknown, source = 'agent manifest'): ManifestResult {
  const result = AgentManifest.safeParse(input);
  if (result.success) return { ok: true, manifest: result.data };
  return { ok: false, message: describeIssues(result.error, source) };
}
