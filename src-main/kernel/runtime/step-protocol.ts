import type { AgentAction, AgentManifest, ToolManifest } from '../../../src-shared/index.js';
import { AgentAction as AgentActionSchema, describeIssues } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';

/** Keys of JSON Schema that the grammar compiler understands; the rest are checked after decoding. */
const GRAMMAR_KEYS = new Set(['type', 'properties', 'required', 'items', 'enum', 'const', 'oneOf', 'anyOf', 'minLength', 'maxLength', 'minItems', 'maxItems', 'description']);
/** Bounds free text in a grammar so a small model cannot ramble until the step limit. */
const MAX_GRAMMAR_STRING = 240;
/** llama.cpp refuses a grammar that repeats a rule 2000 times or more; longer answers go unbounded (maxTokensPerStep still bounds them). */
const MAX_GRAMMAR_REPETITION = 1999;

/** Keeps only what llama.cpp's JSON-schema grammar supports, and bounds every string. */
export function toGrammarSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toGrammarSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!GRAMMAR_KEYS.has(key) || key === 'description') continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, toGrammarSchema(sub)]));
    } else out[key] = toGrammarSchema(value);
  }
  if (out.type === 'string' && !('enum' in out) && !('const' in out)) {
    out.maxLength = Math.min(Number(out.maxLength ?? MAX_GRAMMAR_STRING), MAX_GRAMMAR_STRING);
  }
  return out;
}

/** The JSON Schema of one step for this agent: a call to one of its tools, or a final answer. */
export function stepSchema(manifest: AgentManifest, tools: readonly ToolManifest[]): object {
  const final = {
    type: 'object',
    properties: {
      type: { const: 'final' },
      answer:
        manifest.model.maxAnswerChars <= MAX_GRAMMAR_REPETITION
          ? { type: 'string', minLength: 1, maxLength: manifest.model.maxAnswerChars }
          : { type: 'string', minLength: 1 },
    },
    required: ['type', 'answer'],
  };
  const calls = tools.map((tool) => ({
    type: 'object',
    properties: { type: { const: 'tool' }, tool: { const: tool.name }, args: toGrammarSchema(tool.inputSchema) },
    required: ['type', 'tool', 'args'],
  }));
  return calls.length === 0 ? final : { oneOf: [...calls, final] };
}

/** True once the decoded text is one whole JSON value (the grammar guarantees it is well formed). */
export function isCompleteJson(text: string): boolean {
  const trimmed = text.trimEnd();
  if (!trimmed.endsWith('}')) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

/** Parses and validates one step's output; the error says what was wrong, for the model to retry. */
export function parseAction(text: string, allowedTools: readonly string[]): AgentAction {
  let value: unknown;
  try {
    value = JSON.parse(text.trim());
  } catch {
    throw new KernelError('INVALID_REQUEST', `the step is not one complete JSON object: ${JSON.stringify(text.slice(0, 120))}`);
  }
  const parsed = AgentActionSchema.safeParse(value);
  if (!parsed.success) throw new KernelError('INVALID_REQUEST', describeIssues(parsed.error, 'step'));
  if (parsed.data.type === 'tool' && !allowedTools.includes(parsed.data.tool)) {
    throw new KernelError('UNKNOWN_TOOL', `tool "${parsed.data.tool}" is not among this agent's tools (${allowedTools.join(', ') || 'none'})`);
  }
  return parsed.data;
}

export function describeTools(tools: readonly ToolManifest[]): string {
  if (tools.length === 0) return 'You have no tools. Reply with {"type":"final","answer":"..."}.';
  const lines = tools.map((tool) => `- ${tool.name}: ${tool.description} Arguments: ${JSON.stringify(tool.inputSchema.properties ?? {})}`);
  return [
    'Tools you can call:',
    ...lines,
    'Each step, reply with one JSON object: {"type":"tool","tool":NAME,"args":{...}} to call a tool, or {"type":"final","answer":"..."} when done.',
  ].join('\n');
}
