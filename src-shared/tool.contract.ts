import { z } from 'zod';

/** A JSON Schema document. Kept open: tools describe their own input and output. */
export const JsonSchema = z.record(z.string(), z.unknown());
export type JsonSchema = z.infer<typeof JsonSchema>;

export const ToolLimits = z.object({
  memoryPages: z.number().int().positive().max(65536).default(16),
  timeMs: z.number().int().positive().max(600_000).default(2_000),
  outputBytes: z.number().int().positive().max(16 * 1024 * 1024).default(64 * 1024),
});
export type ToolLimits = z.infer<typeof ToolLimits>;

/** How a call's arguments name the capability it needs; the kernel asks for exactly that before the tool runs. */
export const CapabilityRequirement = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('net'), arg: z.string() }).strict(),
  z.object({ kind: z.literal('fs:read'), arg: z.string() }).strict(),
  z.object({ kind: z.literal('fs:write'), arg: z.string() }).strict(),
  z.object({ kind: z.literal('env'), arg: z.string() }).strict(),
  z.object({ kind: z.literal('clock') }).strict(),
  /** Another agent's memory, named by an argument; the caller's own memory needs nothing. */
  z.object({ kind: z.literal('memory'), arg: z.string() }).strict(),
  /** Another agent's mailbox, named by an argument: the call needs `ipc:AGENT`. */
  z.object({ kind: z.literal('ipc'), arg: z.string() }).strict(),
  /** One tool of an external MCP server: the call needs `mcp:SERVER/TOOL`, whatever its arguments. */
  z.object({ kind: z.literal('mcp'), server: z.string(), tool: z.string() }).strict(),
]);
export type CapabilityRequirement = z.infer<typeof CapabilityRequirement>;

export const ToolName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'tool names are lower_snake_case, at most 64 characters');

export const ToolManifest = z.object({
  name: ToolName,
  description: z.string().min(1),
  /** `builtin` tools run inside the kernel; `wasm` tools run in the sandbox. */
  runtime: z.enum(['builtin', 'wasm', 'mcp']),
  inputSchema: JsonSchema,
  outputSchema: JsonSchema.optional(),
  requires: z.array(CapabilityRequirement).default([]),
  limits: ToolLimits.default({ memoryPages: 16, timeMs: 2_000, outputBytes: 64 * 1024 }),
  /** sha256 of the plugin bytes, pinned for `wasm` tools. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** The plugin file, beside its catalog. */
  file: z.string().optional(),
});
export type ToolManifest = z.infer<typeof ToolManifest>;
export type ToolManifestInput = z.input<typeof ToolManifest>;
