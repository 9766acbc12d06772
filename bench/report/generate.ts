/**
 * bench/results/*.json → docs/benchmarks/NAME.svg + docs/BENCHMARKS.md. Files are read in name
 * order and nothing depends on the clock, so the same results give the same bytes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { chartSpec, renderSvg } from './chart.js';
import { DESCRIPTIONS } from './descriptions.js';
import { benchmarkSection, document, extractNotes } from './markdown.js';
import { type BenchResult, BenchResultSchema } from './shape.js';

/** Bench results are small; a larger file is a mistake, not something to chart. */
const MAX_RESULT_BYTES = 4 * 1024 * 1024;

export interface ReportPaths {
  resultsDir: string;
  /** docs/BENCHMARKS.md */
  docPath: string;
  /** docs/benchmarks, where the SVGs go */
  chartsDir: string;
}

export function readResults(resultsDir: string): BenchResult[] {
  const files = readdirSync(resultsDir).filter((file) => file.endsWith('.json')).sort();
  const results = files.map((file) => {
    const text = readFileSync(join(resultsDir, file), 'utf8');
    if (text.length > MAX_RESULT_BYTES) throw new Error(`${file}: larger than ${MAX_RESULT_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file}: not JSON (${(error as Error).message})`);
    }
    const parsed = BenchResultSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${file}: not a bench result: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    return parsed.data;
  });
  const names = results.map((r) => r.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new Error(`two result files are named "${twice}"`);
  return results;
}

/** The tiny test model's results (bench/results/tiny), charted and tabled after the real model's. */
export const TINY_DIR = 'tiny';

interface ResultSet {
  results: BenchResult[];
  /** Appended to section anchors and chart file names ('' for the headline set). */
  suffix: string;
  label: string;
}

/** Writes the charts and the page; returns the paths written. */
export async function generateReport(paths: ReportPaths): Promise<string[]> {
  const sets: ResultSet[] = [{ results: readResults(paths.resultsDir), suffix: '', label: '' }];
  const tinyDir = join(paths.resultsDir, TINY_DIR);
  if (existsSync(tinyDir)) sets.push({ results: readResults(tinyDir), suffix: '-tiny', label: ' (tiny model)' });
  const existing = existsSync(paths.docPath) ? readFileSync(paths.docPath, 'utf8') : undefined;
  const notes = extractNotes(existing);
  mkdirSync(paths.chartsDir, { recursive: true });
  const written: string[] = [];
  const sections: string[] = [];
  const names: string[] = [];
  for (const set of sets) {
    for (const result of set.results) {
      const description = DESCRIPTIONS[result.name];
      const spec = chartSpec(result, description);
      let link: string | undefined;
      if (spec) {
        const svgPath = join(paths.chartsDir, `${result.name}${set.suffix}.svg`);
        writeFileSync(svgPath, (await renderSvg(spec)) + '\n');
        written.push(svgPath);
        link = relative(join(paths.docPath, '..'), svgPath).split('\\').join('/');
      }
      sections.push(benchmarkSection(result, description, link, set.label));
      names.push(`${result.name}${set.label}`);
    }
  }
  mkdirSync(join(paths.docPath, '..'), { recursive: true });
  writeFileSync(paths.docPath, document(notes, sections, names));
  written.push(paths.docPath);
  return written;
}
