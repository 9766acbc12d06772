/**
 * One SVG per benchmark, drawn by Vega-Lite from the JSON's numbers: the ratios as the kernel's
 * advantage around a line at 1 (log scale), and the sides' own figures as dots with min–max bars.
 * Rendered headless (`View.toSVG`), with estimated text widths and reset element ids so that the
 * same JSON gives the same bytes on any machine.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchmarkDescription } from './descriptions.js';
import { type BenchResult, type Cell, flatten, formatNumber, sidesOf, unitOf } from './shape.js';

export interface RatioPoint {
  key: string;
  label: string;
  /** Kernel advantage: above 1 the kernel is better, below 1 the baseline or peer. */
  advantage: number;
  lo?: number;
  hi?: number;
}

interface SidePoint {
  label: string;
  side: string;
  unit: string;
  median: number;
  min: number;
  max: number;
}

export function ratioPoints(result: BenchResult, description: BenchmarkDescription | undefined): RatioPoint[] {
  const ratios = result.ratios ?? {};
  const points: RatioPoint[] = [];
  for (const [key, value] of Object.entries(ratios)) {
    const meaning = description?.ratios[key];
    if (!meaning || meaning.higherFavoursKernel === 'self' || typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) continue;
    const flip = (x: number): number => (meaning.higherFavoursKernel ? x : 1 / x);
    const range = ratios[`${key}_range`];
    const point: RatioPoint = { key, label: meaning.label, advantage: flip(value) };
    if (Array.isArray(range) && range.length === 2 && range.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x))) {
      const [a, b] = [flip(range[0] as number), flip(range[1] as number)];
      [point.lo, point.hi] = [Math.min(a, b), Math.max(a, b)];
    }
    points.push(point);
  }
  return points;
}

/** Spreads when the JSON has them (their error bars are the point), else the description's side metrics. */
function sidePoints(result: BenchResult, description: BenchmarkDescription | undefined): SidePoint[] {
  const flat = sidesOf(result).map(([side, value]) => [side, flatten(value)] as [string, Map<string, Cell>]);
  const spreads: SidePoint[] = [];
  for (const [side, cells] of flat)
    for (const [key, cell] of cells)
      if (cell.kind === 'spread' && cell.min > 0) spreads.push({ label: `${key} (${side})`, side, unit: unitOf(key), median: cell.median, min: cell.min, max: cell.max });
  if (spreads.length > 0) return spreads;
  const plain: SidePoint[] = [];
  for (const key of description?.sideMetrics ?? [])
    for (const [side, cells] of flat) {
      const cell = cells.get(key);
      if (cell?.kind === 'number') plain.push({ label: `${key} (${side})`, side, unit: unitOf(key), median: cell.value, min: cell.value, max: cell.value });
    }
  return plain;
}

const WIDTH = 420;

function ratioPanel(points: RatioPoint[]): object {
  const values = points.map((p) => ({
    ...p,
    one: 1,
    text: `${formatNumber(p.advantage)}×`,
    side: p.advantage >= 1 ? 'kernel better' : 'baseline/peer better',
    // Where the error bar or the bar ends, whichever is further out.
    hi: Math.max(p.hi ?? p.advantage, p.advantage),
    lo: Math.min(p.lo ?? p.advantage, p.advantage),
    ranged: p.lo !== undefined,
  }));
  const all = points.flatMap((p) => [p.advantage, p.lo ?? p.advantage, p.hi ?? p.advantage, 1]);
  const domain = [Math.min(...all) / 1.6, Math.max(...all) * 2.2];
  const title = 'kernel advantage (×, log scale)';
  const x = { field: 'advantage', type: 'quantitative', scale: { type: 'log', domain, nice: false }, title };
  const y = { field: 'label', type: 'nominal', sort: null, title: null };
  return {
    title: 'Ratios as the kernel’s advantage',
    width: WIDTH,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.6 } },
        encoding: {
          y,
          x,
          x2: { field: 'one' },
          color: { field: 'side', type: 'nominal', scale: { domain: ['kernel better', 'baseline/peer better'], range: ['#2f7d4f', '#c0392b'] }, legend: null },
        },
      },
      { transform: [{ filter: 'datum.ranged' }], mark: { type: 'errorbar', ticks: true, color: '#222' }, encoding: { y, x: { field: 'lo', type: 'quantitative', title }, x2: { field: 'hi' } } },
      // The figure sits past the bar's far end: right of a bar that grows right, left of one that grows left.
      { transform: [{ filter: 'datum.advantage >= 1' }], mark: { type: 'text', align: 'left', dx: 4 }, encoding: { y, x: { field: 'hi', type: 'quantitative', title }, text: { field: 'text' } } },
      { transform: [{ filter: 'datum.advantage < 1' }], mark: { type: 'text', align: 'right', dx: -4 }, encoding: { y, x: { field: 'lo', type: 'quantitative', title }, text: { field: 'text' } } },
      {
        data: { values: [{ one: 1 }] },
        layer: [
          { mark: { type: 'rule', strokeDash: [4, 3], color: '#333' }, encoding: { x: { field: 'one', type: 'quantitative', title } } },
          { mark: { type: 'text', y: -6, align: 'left', dx: 4, text: 'kernel better →', color: '#2f7d4f' }, encoding: { x: { field: 'one', type: 'quantitative', title } } },
          { mark: { type: 'text', y: -6, align: 'right', dx: -4, text: '← baseline/peer better', color: '#c0392b' }, encoding: { x: { field: 'one', type: 'quantitative', title } } },
        ],
      },
    ],
  };
}

const SIDE_COLORS = ['#1f5fa8', '#e07b00', '#7b4fa0', '#8c564b', '#17becf', '#7f7f7f'];

function sidePanel(unit: string, points: SidePoint[], sides: string[]): object {
  const lows = points.map((p) => p.min).filter((v) => v > 0);
  const log = lows.length === points.length && Math.max(...points.map((p) => p.max)) / Math.min(...lows) > 30;
  const ranged = points.some((p) => p.min !== p.max);
  const title = `${unit}${log ? ', log scale' : ''}`;
  const x = { field: 'median', type: 'quantitative', scale: log ? { type: 'log' } : { zero: true }, title };
  const y = { field: 'label', type: 'nominal', sort: null, title: null };
  // Fixed order, so the kernel has the same colour in every chart.
  const color = { field: 'side', type: 'nominal', scale: { domain: sides, range: SIDE_COLORS }, legend: { orient: 'bottom', title: null } };
  const marks =
    ranged || log
      ? [
          { mark: { type: 'rule' }, encoding: { y, x: { field: 'min', type: 'quantitative', title }, x2: { field: 'max' }, color } },
          { mark: { type: 'point', filled: true, size: 60, opacity: 1 }, encoding: { y, x, color } },
          { mark: { type: 'text', align: 'left', dx: 6, dy: -7, fontSize: 10 }, encoding: { y, x: { field: 'max', type: 'quantitative', title }, text: { field: 'text' } } },
        ]
      : [
          { mark: { type: 'bar', height: { band: 0.6 } }, encoding: { y, x, color } },
          { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { y, x, text: { field: 'text' } } },
        ];
  return {
    title: ranged ? `Each side, median with min–max (${unit})` : `Each side (${unit})`,
    width: WIDTH,
    data: { values: points.map((p) => ({ ...p, text: formatNumber(p.median) })) },
    layer: marks,
  };
}

/** The chart's Vega-Lite spec, or undefined when there is nothing that can honestly be drawn. */
export function chartSpec(result: BenchResult, description: BenchmarkDescription | undefined): TopLevelSpec | undefined {
  const panels: object[] = [];
  const ratios = ratioPoints(result, description);
  if (ratios.length > 0) panels.push(ratioPanel(ratios));
  const sides = sidePoints(result, description);
  const units = [...new Set(sides.map((p) => p.unit))];
  const sideNames = sidesOf(result).map(([name]) => name);
  for (const unit of units) panels.push(sidePanel(unit, sides.filter((p) => p.unit === unit), sideNames));
  if (panels.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${result.name}`, anchor: 'start', fontSize: 16 },
    background: 'white',
    padding: 16,
    config: { font: 'sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 11 }, axisY: { labelLimit: 360 } },
    vconcat: panels,
    resolve: { scale: { color: 'independent', x: 'independent' } },
  } as unknown as TopLevelSpec;
}

/**
 * vega measures text with node-canvas when it is installed and else guesses 0.8 em a character, which
 * truncates labels. A fixed table of widths for a sans-serif font is closer and the same on every machine.
 */
function textWidth(item: { fontSize?: number; fontWeight?: string | number }, text: unknown): number {
  const size = typeof item.fontSize === 'number' ? item.fontSize : 11;
  const bold = item.fontWeight === 'bold' || (typeof item.fontWeight === 'number' && item.fontWeight >= 600) ? 1.08 : 1;
  let em = 0;
  for (const char of String(text ?? '')) {
    // DejaVu Sans-like widths, rounded up: a label drawn wider than measured is cut at the edge.
    if (/[il.,:;|!'()[\]\s]/.test(char)) em += 0.34;
    else if (/[mwMW]/.test(char)) em += 0.92;
    else if (/[A-Z]/.test(char)) em += 0.72;
    else em += 0.62;
  }
  return Math.ceil(em * size * bold);
}
const metrics = (vega as unknown as { textMetrics: { width: typeof textWidth } }).textMetrics;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  metrics.width = textWidth;
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
