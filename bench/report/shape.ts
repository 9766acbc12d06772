/**
 * Reading a bench result without trusting its shape: every value becomes a Cell (a number, a
 * `{median,min,max}` spread, a `[lo, hi]` range, text, or a summary), so one odd field in a JSON
 * costs a row, not the report.
 */
import { basename } from 'node:path';
import { z } from 'zod';

/** The name becomes a file name (docs/benchmarks/NAME.svg): a slug, nothing that walks out of the folder. */
export const BenchResultSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'name must be a slug (letters, digits, - and _)'),
  machine: z.record(z.string(), z.unknown()).optional(),
  model: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  kernel: z.unknown(),
  baseline: z.unknown().optional(),
  peers: z.unknown().optional(),
  ratios: z.record(z.string(), z.unknown()).optional(),
});
export type BenchResult = z.infer<typeof BenchResultSchema>;

export type Cell =
  | { kind: 'number'; value: number }
  | { kind: 'spread'; median: number; min: number; max: number }
  | { kind: 'range'; lo: number; hi: number }
  | { kind: 'text'; text: string }
  | { kind: 'table'; columns: string[]; rows: [string, Record<string, unknown>][] };

const MAX_DEPTH = 4;
const SHORT_TEXT = 48;
const TABLE_ROWS = 12;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPrimitive = (value: unknown): boolean => value === null || ['number', 'string', 'boolean'].includes(typeof value);

/** Rounded for reading, the same way every time: three significant figures, never fewer than the integer part. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const size = Math.abs(value);
  if (size >= 100) return value.toFixed(0);
  if (size >= 10) return value.toFixed(1);
  if (size >= 1) return value.toFixed(2);
  return Number(value.toPrecision(3)).toString();
}

export function formatCell(cell: Cell | undefined): string {
  if (!cell) return '—';
  switch (cell.kind) {
    case 'number':
      return formatNumber(cell.value);
    case 'spread':
      return `${formatNumber(cell.median)} (${formatNumber(cell.min)}–${formatNumber(cell.max)})`;
    case 'range':
      return `${formatNumber(cell.lo)}–${formatNumber(cell.hi)}`;
    case 'text':
      return cell.text;
    case 'table':
      return `${cell.rows.length} rows, below`;
  }
}

function asSpread(value: Record<string, unknown>): Cell | undefined {
  const { median, min, max } = value;
  return isFiniteNumber(median) && isFiniteNumber(min) && isFiniteNumber(max) ? { kind: 'spread', median, min, max } : undefined;
}

/** Rows keyed by the same fields, every value a primitive: shown as a table of their own. */
function asTable(rows: [string, unknown][]): Cell | undefined {
  if (rows.length < 2 || rows.length > TABLE_ROWS) return undefined;
  const columns: string[] = [];
  for (const [, row] of rows) {
    if (!isRecord(row)) return undefined;
    for (const [key, value] of Object.entries(row)) {
      if (!isPrimitive(value) || (typeof value === 'string' && value.length > SHORT_TEXT)) return undefined;
      if (!columns.includes(key)) columns.push(key);
    }
  }
  return { kind: 'table', columns, rows: rows as [string, Record<string, unknown>][] };
}

function summarizeArray(items: unknown[]): Cell {
  if (items.every(isFiniteNumber)) {
    if (items.length <= 8) return { kind: 'text', text: items.map(formatNumber).join(', ') };
    const sorted = [...items].sort((a, b) => a - b);
    return { kind: 'spread', median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)! };
  }
  const parts = [`${items.length} items`];
  if (items.every(isRecord)) {
    const flags = new Set(items.flatMap((item) => Object.keys(item).filter((key) => typeof item[key] === 'boolean')));
    for (const flag of [...flags].sort()) parts.push(`${flag} in ${items.filter((item) => item[flag] === true).length}`);
  }
  return { kind: 'text', text: parts.join('; ') };
}

/** One side (kernel, baseline, a peer) as flattened dotted keys, in the JSON's own order. */
export function flatten(value: unknown, prefix = '', depth = 0, out = new Map<string, Cell>()): Map<string, Cell> {
  const key = prefix || 'value';
  if (value === null || value === undefined) out.set(key, { kind: 'text', text: 'null' });
  else if (isFiniteNumber(value)) out.set(key, { kind: 'number', value });
  else if (typeof value === 'number' || typeof value === 'boolean') out.set(key, { kind: 'text', text: String(value) });
  else if (typeof value === 'string') out.set(key, { kind: 'text', text: value });
  else if (Array.isArray(value)) {
    const range = /_range$/.test(key) && value.length === 2 && value.every(isFiniteNumber) ? ({ kind: 'range', lo: value[0], hi: value[1] } as Cell) : undefined;
    out.set(key, range ?? asTable(value.map((row, i) => [String(i + 1), row])) ?? summarizeArray(value));
  } else if (isRecord(value)) {
    const entries = Object.entries(value);
    const special = asSpread(value) ?? (entries.length >= 3 ? asTable(entries) : undefined);
    if (special && prefix) out.set(key, special);
    else if (depth >= MAX_DEPTH) out.set(key, { kind: 'text', text: 'nested deeper than the report reads: see the JSON' });
    else for (const [child, inner] of entries) flatten(inner, prefix ? `${prefix}.${child}` : child, depth + 1, out);
  }
  return out;
}

/** kernel, baseline and each peer, named; `peers` may be an object of named sides or an array of `{name, ...}`. */
export function sidesOf(result: BenchResult): [string, unknown][] {
  const sides: [string, unknown][] = [['kernel', result.kernel]];
  if (result.baseline !== undefined) sides.push(['baseline', result.baseline]);
  const peers = result.peers;
  if (Array.isArray(peers)) peers.forEach((peer, i) => sides.push([isRecord(peer) && typeof peer.name === 'string' ? peer.name : `peer ${i + 1}`, peer]));
  else if (isRecord(peers)) for (const [name, peer] of Object.entries(peers)) sides.push([name, peer]);
  else if (peers !== undefined) sides.push(['peers', peers]);
  return sides;
}

const recorded = (value: unknown): string => (value === undefined || value === null || value === '' ? 'not recorded' : String(value));

/** Machine, model, threads and run count, from the JSON only: what is missing says so. */
export function setupLine(result: BenchResult): string {
  const machine = result.machine ?? {};
  const params = result.params ?? {};
  const memory = isFiniteNumber(machine.memoryBytes) ? `${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB memory` : 'memory not recorded';
  const cores = isFiniteNumber(machine.cores) ? `${machine.cores} cores` : 'cores not recorded';
  const os = [machine.platform, machine.release].filter((part) => typeof part === 'string').join(' ');
  const runs = params.runs ?? params.rounds ?? params.repetitions;
  return [
    `**Machine:** ${recorded(machine.cpu)}, ${cores}, ${memory}${os ? `, ${os}` : ''}${typeof machine.node === 'string' ? `, Node ${machine.node}` : ''}`,
    `**model:** ${result.model ? basename(result.model) : 'not recorded'}`,
    `**threads:** ${recorded(params.threads)}`,
    `**runs:** ${recorded(runs)}`,
    `**GPU:** ${recorded(params.gpu)}`,
  ].join(' · ');
}

/** Unit read from a key's suffix, for grouping metrics on one axis. */
export function unitOf(key: string): string {
  const last = key.split('.').at(-1)!;
  if (/_ms($|_)/.test(last) || /^ms_/.test(last)) return 'ms';
  if (/_us$/.test(last)) return 'µs';
  if (/_tps$/.test(last)) return 'tokens/s';
  if (/_per_s$/.test(last)) return 'per second';
  if (/(rate|recall_at_k|share)$/.test(last)) return 'fraction';
  return 'value';
}
