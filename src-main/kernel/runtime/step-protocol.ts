import type { AgentAction, AgentManifest, ToolManifest } from '../../../src-shared/index.js';
import { AgentAction as AgentActionSchema, describeIssues } from '../../../src-shared/index.js';
import { Ajv, type ValidateFunction } from 'ajv';
import { KernelError } from '../core/kernel-error.js';
import type { ToolRegistry } from '../tools/index.js';

/** Keys of JSON Schema that the grammar compiler understands; the rest are checked after decoding. */
const GRAMMAR_KEYS = new Set(['type', 'properties', 'required', 'items', 'enum', 'const', 'oneOf', 'anyOf', 'minLength', 'maxLength', 'minItems', 'maxItems', 'description']);
/** Bounds free text in a grammar so a small model cannot ramble until the step limit. */
const MAX_GRAMMAR_STRING = 240;
/** llama.cpp refuses a grammar that repeats a rule 2000 times or more; longer answers go unbounded (maxTokensPerStep still bounds them). */
const MAX_GRAMMAR_REPETITION = 1999;

/**
 * Keeps only what llama.cpp's JSON-schema grammar supports, and bounds every string. Optional
 * properties are left out: the grammar cannot bound a number's digits, and a small model given an
 * optional number can emit digits until its token budget runs out. Tools use their defaults.
 */
export function toGrammarSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toGrammarSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const required = new Set(Array.isArray((schema as { required?: unknown }).required) ? ((schema as { required: string[] }).required) : []);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!GRAMMAR_KEYS.has(key) || key === 'description') continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as object)
          .filter(([name]) => required.has(name))
          .map(([name, sub]) => [name, toGrammarSchema(sub)]),
      );
    } else out[key] = toGrammarSchema(value);
  }
  if (out.type === 'string' && !('enum' in out) && !('const' in out)) {
    out.maxLength = Math.min(Number(out.maxLength ?? MAX_GRAMMAR_STRING), MAX_GRAMMAR_STRING);
  }
  return out;
}

/** A tool's input schema with the agent's narrower argument schemas put in. */
export function narrowedInputSchema(manifest: AgentManifest, tool: ToolManifest): Record<string, unknown> {
  const narrowed = manifest.toolArgs[tool.name];
  if (!narrowed) return tool.inputSchema;
  const properties = { ...((tool.inputSchema.properties as Record<string, unknown> | undefined) ?? {}) };
  for (const [arg, schema] of Object.entries(narrowed)) properties[arg] = { ...(properties[arg] as object), ...schema };
  return { ...tool.inputSchema, properties };
}

/** The JSON Schema of one step for this agent: a call to one of its tools, or a final answer. */
export function stepSchema(manifest: AgentManifest, tools: readonly ToolManifest[], toolsOnly = false): object {
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
    properties: { type: { const: 'tool' }, tool: { const: tool.name }, args: toGrammarSchema(narrowedInputSchema(manifest, tool)) },
    required: ['type', 'tool', 'args'],
  }));
  if (calls.length === 0) return final;
  const options = toolsOnly ? calls : [...calls, final];
  return options.length === 1 ? options[0]! : { oneOf: options };
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

/** One argument as a small model reads it best: `name (type)`, required ones first. */
function describeArgs(schema: Record<string, unknown>): string {
  const properties = (schema.properties as Record<string, { type?: unknown }> | undefined) ?? {};
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const names = Object.keys(properties).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
  return names.map((name) => `${name} (${String(properties[name]!.type ?? 'any')}${required.has(name) ? '' : ', optional'})`).join(', ') || 'none';
}

export function describeTools(tools: readonly ToolManifest[]): string {
  if (tools.length === 0) return 'You have no tools. Reply with {"type":"final","answer":"..."}.';
  const lines = tools.map((tool) => `- ${tool.name}: ${tool.description} Arguments: ${describeArgs(tool.inputSchema)}.`);
  return [
    'Tools you can call:',
    ...lines,
    'Reply with one JSON object each time: {"type":"tool","tool":NAME,"args":{...}} to call a tool, or {"type":"final","answer":"..."} to answer.',
  ].join('\n');
}

const narrowedValidators = new WeakMap<AgentManifest, Map<string, ValidateFunction>>();
const ajv = new Ajv({ allErrors: true, strict: false });

/** Checks a call against the tool's schema, then against the agent's narrower argument schemas. */
export function validateAgentArgs(manifest: AgentManifest, tool: string, args: Record<string, unknown>, tools: ToolRegistry): void {
  tools.validateArgs(tool, args);
  if (!manifest.toolArgs[tool]) return;
  let byTool = narrowedValidators.get(manifest);
  if (!byTool) narrowedValidators.set(manifest, (byTool = new Map()));
  let validate = byTool.get(tool);
  if (!validate) byTool.set(tool, (validate = ajv.compile(narrowedInputSchema(manifest, tools.manifest(tool)))));
  if (!validate(args)) {
    const problems = (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`);
    throw new KernelError('INVALID_TOOL_ARGS', `${manifest.id} may not call ${tool} with these arguments: ${problems.join('; ')}`, { tool });
  }
}
