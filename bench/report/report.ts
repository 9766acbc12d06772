/**
 * `npm run bench:report [-- --results DIR --doc FILE --charts DIR]`: bench/results/*.json →
 * docs/BENCHMARKS.md and docs/benchmarks/NAME.svg (see generate.ts).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateReport } from './generate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({ options: { results: { type: 'string' }, doc: { type: 'string' }, charts: { type: 'string' } } });
const docPath = resolve(values.doc ?? resolve(root, 'docs', 'BENCHMARKS.md'));
try {
  const written = await generateReport({
    resultsDir: resolve(values.results ?? resolve(root, 'bench', 'results')),
    docPath,
    chartsDir: resolve(values.charts ?? resolve(dirname(docPath), 'benchmarks')),
  });
  for (const path of written) console.log(`wrote ${path}`);
} catch (error) {
  console.error(`bench:report: ${(error as Error).message}`);
  process.exit(1);
}
