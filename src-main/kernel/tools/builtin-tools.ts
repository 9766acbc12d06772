import type { ToolManifestInput } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { evaluateArithmetic } from './arithmetic.js';
import type { ToolProvider } from './tool-registry.js';

/** Linear units in terms of a base unit per dimension; temperature is handled apart. */
const UNITS: Record<string, { dimension: string; factor: number }> = {
  m: { dimension: 'length', factor: 1 },
  km: { dimension: 'length', factor: 1000 },
  cm: { dimension: 'length', factor: 0.01 },
  mm: { dimension: 'length', factor: 0.001 },
  mi: { dimension: 'length', factor: 1609.344 },
  ft: { dimension: 'length', factor: 0.3048 },
  in: { dimension: 'length', factor: 0.0254 },
  kg: { dimension: 'mass', factor: 1 },
  g: { dimension: 'mass', factor: 0.001 },
  lb: { dimension: 'mass', factor: 0.45359237 },
  oz: { dimension: 'mass', factor: 0.028349523125 },
  l: { dimension: 'volume', factor: 1 },
  ml: { dimension: 'volume', factor: 0.001 },
  gal: { dimension: 'volume', factor: 3.785411784 },
  s: { dimension: 'time', factor: 1 },
  min: { dimension: 'time', factor: 60 },
  h: { dimension: 'time', factor: 3600 },
  day: { dimension: 'time', factor: 86400 },
};
const TEMPERATURE = ['c', 'f', 'k'];

function toKelvin(value: number, unit: string): number {
  if (unit === 'c') return value + 273.15;
  if (unit === 'f') return ((value - 32) * 5) / 9 + 273.15;
  return value;
}
function fromKelvin(value: number, unit: string): number {
  if (unit === 'c') return value - 273.15;
  if (unit === 'f') return ((value - 273.15) * 9) / 5 + 32;
  return value;
}

export function convertUnits(value: number, from: string, to: string): number {
  const a = from.toLowerCase();
  const b = to.toLowerCase();
  if (TEMPERATURE.includes(a) && TEMPERATURE.includes(b)) return fromKelvin(toKelvin(value, a), b);
  const source = UNITS[a];
  const target = UNITS[b];
  if (!source || !target) throw new Error(`unknown unit "${source ? to : from}"`);
  if (source.dimension !== target.dimension) throw new Error(`cannot convert ${source.dimension} to ${target.dimension}`);
  return (value * source.factor) / target.factor;
}

export function textStats(text: string): { characters: number; words: number; lines: number; sentences: number } {
  const words = text.match(/[\p{L}\p{N}'’-]+/gu) ?? [];
  const sentences = text.split(/[.!?]+(?:\s|$)/).filter((part) => part.trim() !== '');
  return { characters: [...text].length, words: words.length, lines: text === '' ? 0 : text.split('\n').length, sentences: sentences.length };
}

const limits = { memoryPages: 16, timeMs: 1000, outputBytes: 4096 };

const MANIFESTS: ToolManifestInput[] = [
  {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression: + - * / % ^, parentheses, sqrt, abs, ln, log10, sin, cos, tan, round, pi, e.',
    runtime: 'builtin',
    inputSchema: {
      type: 'object',
      properties: { expression: { type: 'string', minLength: 1, maxLength: 200 } },
      required: ['expression'],
      additionalProperties: false,
    },
    outputSchema: { type: 'object', properties: { value: { type: 'number' } }, required: ['value'] },
    limits,
  },
  {
    name: 'unit_convert',
    description: `Converts a value between units: ${[...Object.keys(UNITS), ...TEMPERATURE].join(', ')}.`,
    runtime: 'builtin',
    inputSchema: {
      type: 'object',
      properties: {
        value: { type: 'number' },
        from: { type: 'string', minLength: 1, maxLength: 8 },
        to: { type: 'string', minLength: 1, maxLength: 8 },
      },
      required: ['value', 'from', 'to'],
      additionalProperties: false,
    },
    outputSchema: { type: 'object', properties: { value: { type: 'number' } }, required: ['value'] },
    limits,
  },
  {
    name: 'text_stats',
    description: 'Counts the characters, words, lines and sentences of a text.',
    runtime: 'builtin',
    inputSchema: {
      type: 'object',
      properties: { text: { type: 'string', maxLength: 20000 } },
      required: ['text'],
      additionalProperties: false,
    },
    limits,
  },
];

/** Compute-only tools the kernel runs itself; they need no capability. */
export function builtinTools(): ToolProvider {
  return {
    name: 'builtin',
    manifests: () => MANIFESTS,
    invoke(tool, args) {
      try {
        switch (tool) {
          case 'calculator':
            return Promise.resolve({ value: evaluateArithmetic(String(args.expression)) });
          case 'unit_convert':
            return Promise.resolve({ value: convertUnits(Number(args.value), String(args.from), String(args.to)) });
          case 'text_stats':
            return Promise.resolve(textStats(String(args.text)));
          default:
            return Promise.reject(new KernelError('UNKNOWN_TOOL', `builtin provider has no tool "${tool}"`));
        }
      } catch (error) {
        return Promise.reject(new KernelError('TOOL_FAILED', `${tool}: ${(error as Error).message}`, { tool }));
      }
    },
  };
}
