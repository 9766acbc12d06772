import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { generateReport } from './generate.js';
import { NOTES_END, NOTES_START } from './markdown.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A scheduler result with a peer, a spread, a range, a null ratio, nested and array values, and hostile text. */
const fixture = {
  name: 'scheduler',
  machine: { cpu: 'Test CPU', cores: 4, platform: 'linux' },
  model: '/somewhere/private/tiny.gguf',
  params: { threads: 2, runs: 3, gpu: 'cpu', lengths: [1, 2, 3] },
  kernel: {
    throughput_tps: 100,
    p50_interactive_latency_ms: 50,
    p99_interactive_latency_ms: 100,
    ttft_p99_ms: { median: 40, min: 30, max: 60 },
    nested: { depth: { value: 7 } },
    rows: [{ ok: true }, { ok: false }, { ok: true }, { ok: true }, { ok: false }, { ok: true }, { ok: true }, { ok: true }, { ok: true }, { ok: true }, { ok: true }, { ok: true }, { ok: true }],
    note: `a | b ${NOTES_END} <script>`,
  },
  baseline: { throughput_tps: 120, p50_interactive_latency_ms: 200, p99_interactive_latency_ms: 400, ttft_p99_ms: { median: 200, min: 150, max: 300 }, kind: 'first come, first served' },
  peers: { 'llama-server': { throughput_tps: 150, p99_interactive_latency_ms: 300, ttft_p99_ms: { median: 100, min: 80, max: 130 } } },
  ratios: { throughput: 0.8333, p99_interactive_latency: 0.25, p99_ttft: 0.2, p50_interactive_latency: null, made_up: 3 },
};

function setup(handWritten?: string): { results: string; doc: string; charts: string } {
  const folder = mkdtempSync(join(tmpdir(), 'amk-report-'));
  folders.push(folder);
  const results = join(folder, 'results');
  mkdirSync(results);
  mkdirSync(join(folder, 'docs'));
  writeFileSync(join(results, 'scheduler.json'), JSON.stringify(fixture, null, 2));
  const doc = join(folder, 'docs', 'BENCHMARKS.md');
  if (handWritten !== undefined) writeFileSync(doc, handWritten);
  return { results, doc, charts: join(folder, 'docs', 'benchmarks') };
}

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', join(root, 'bench', 'report', 'report.ts'), ...args], { cwd: root }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** The `<path>` bars inside the ratio panel's bar layer. */
function ratioBars(svg: string): string[] {
  const start = svg.indexOf('role-mark concat_0_layer_0_marks');
  expect(start).toBeGreaterThan(0);
  const group = svg.slice(start, svg.indexOf('</g>', start));
  return group.match(/<path [^>]*aria-roledescription="bar"[^>]*>/g) ?? [];
}

describe('bench:report', () => {
  it('writes an SVG chart with one bar per described ratio and a page with tables, the image and the setup', async () => {
    const paths = setup('# Benchmarks\n\nHand-written: the scheduler was measured under load.\n');
    const out = await runCli(['--results', paths.results, '--doc', paths.doc]);
    expect(out).toContain('scheduler.svg');

    const svg = readFileSync(join(paths.charts, 'scheduler.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // throughput, p99 latency and p99 TTFT; the null ratio and the undescribed one are not drawn.
    const bars = ratioBars(svg);
    expect(bars).toHaveLength(3);
    expect(bars.join('\n')).toContain('label: p99 interactive latency (kernel ÷ baseline)');
    expect(svg).toContain('kernel better →');
    expect(svg).toContain('4×'); // 1 / 0.25, the kernel's advantage

    const md = readFileSync(paths.doc, 'utf8');
    expect(md).toContain('| ratio | value | meaning | reading |');
    expect(md).toContain('| `p99_interactive_latency` | 0.25 | p99 interactive latency (kernel ÷ baseline) | kernel 4× better |');
    expect(md).toContain('| `throughput` | 0.833 | throughput (kernel ÷ baseline) | kernel 1.20× worse |');
    expect(md).toContain('direction not described in bench/report/descriptions.ts');
    expect(md).toContain('| metric | kernel | baseline | llama-server |');
    expect(md).toContain('| `ttft_p99_ms` | 40 (30–60) | 200 (150–300) | 100 (80–130) |');
    expect(md).toContain('| `nested.depth.value` | 7 | — | — |');
    expect(md).toContain('13 items; ok in 11');
    expect(md).toContain('![scheduler: the kernel against its baseline and peers](benchmarks/scheduler.svg)');
    expect(md).toContain('**Machine:** Test CPU, 4 cores, memory not recorded, linux · **model:** tiny.gguf · **threads:** 2 · **runs:** 3 · **GPU:** cpu');
    expect(md).not.toContain('/somewhere/private');
    // The hand-written page is carried into the notes block, its title not repeated.
    const notes = md.slice(md.indexOf(NOTES_START), md.indexOf(NOTES_END));
    expect(notes).toContain('Hand-written: the scheduler was measured under load.');
    expect(md.match(/^# Benchmarks$/gm)).toHaveLength(1);
    // JSON text can neither close the notes block nor break a table.
    expect(md.split(NOTES_END)).toHaveLength(2);
    expect(md).toContain('a \\| b &lt;!-- notes:end --&gt; &lt;script&gt;');
  });

  it('gives the same bytes for the same JSON, from the CLI and in-process, and keeps the notes across runs', async () => {
    const a = setup();
    const b = setup();
    await runCli(['--results', a.results, '--doc', a.doc]);
    await generateReport({ resultsDir: b.results, docPath: b.doc, chartsDir: b.charts });
    const snapshot = (p: typeof a): string[] => [readFileSync(p.doc, 'utf8'), ...readdirSync(p.charts).sort().map((f) => readFileSync(join(p.charts, f), 'utf8'))];
    expect(snapshot(b)).toEqual(snapshot(a));

    const edited = readFileSync(a.doc, 'utf8').replace(`${NOTES_START}\n`, `${NOTES_START}\nA note kept by hand.\n`);
    writeFileSync(a.doc, edited);
    await generateReport({ resultsDir: a.results, docPath: a.doc, chartsDir: a.charts });
    await generateReport({ resultsDir: a.results, docPath: a.doc, chartsDir: a.charts });
    expect(readFileSync(a.doc, 'utf8')).toBe(edited);
  });

  it('lists the tiny model\'s results after the real model\'s, with their own charts and anchors', async () => {
    const paths = setup();
    mkdirSync(join(paths.results, 'tiny'));
    writeFileSync(join(paths.results, 'tiny', 'scheduler.json'), JSON.stringify({ ...fixture, model: 'stories260K.gguf' }));
    await generateReport({ resultsDir: paths.results, docPath: paths.doc, chartsDir: paths.charts });
    const md = readFileSync(paths.doc, 'utf8');
    expect(md.indexOf('## scheduler\n')).toBeGreaterThan(0);
    expect(md.indexOf('## scheduler (tiny model)')).toBeGreaterThan(md.indexOf('## scheduler\n'));
    expect(md).toContain('- [scheduler (tiny model)](#scheduler-tiny-model)');
    expect(readdirSync(paths.charts).sort()).toEqual(['scheduler-tiny.svg', 'scheduler.svg']);
  });

  it('refuses a result whose name would leave the charts folder, and a page whose notes markers were lost', async () => {
    const bad = setup();
    writeFileSync(join(bad.results, 'evil.json'), JSON.stringify({ ...fixture, name: '../../evil' }));
    await expect(generateReport({ resultsDir: bad.results, docPath: bad.doc, chartsDir: bad.charts })).rejects.toThrow(/evil\.json: not a bench result: name: name must be a slug/);

    const lost = setup();
    await generateReport({ resultsDir: lost.results, docPath: lost.doc, chartsDir: lost.charts });
    const page = readFileSync(lost.doc, 'utf8');
    writeFileSync(lost.doc, page.replace(NOTES_START, ''));
    await expect(generateReport({ resultsDir: lost.results, docPath: lost.doc, chartsDir: lost.charts })).rejects.toThrow(/notes markers are missing/);
    expect(readFileSync(lost.doc, 'utf8')).toBe(page.replace(NOTES_START, ''));
  });
});
