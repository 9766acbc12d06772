import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src-main/settings.js';

/**
 * The README's task-suite figures are copied from bench/results/tasks.json by hand: this keeps the
 * two from drifting apart when the suite is run again (per-agent table, headline, model, threads).
 */
interface AgentFigures {
  tasks: number;
  success_rate: number;
  mean_steps: number;
  mean_tokens: number;
  mean_seconds: number;
}

interface TasksResult {
  params: { model: string; threads: number; tasks: number };
  kernel: { success_rate: number; tasks: { agent: string; ok: boolean }[]; by_agent: Record<string, AgentFigures> };
  baseline: { success_rate: number; tasks: { ok: boolean }[] };
  ratios: { success_vs_plain_chat: number | null };
}

const result = JSON.parse(readFileSync(join(packageRoot(), 'bench', 'results', 'tasks.json'), 'utf8')) as TasksResult;
const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');

/** The README's "Agents doing real jobs" section, up to the next heading. */
function section(): string {
  const start = readme.indexOf('### Agents doing real jobs');
  expect(start, 'README.md has no "### Agents doing real jobs" section').toBeGreaterThanOrEqual(0);
  const rest = readme.slice(readme.indexOf('\n', start) + 1);
  const end = rest.search(/^#{2,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The per-agent table rows: agent id (its first word) → the numbers of its cells. */
function tableRows(text: string): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    // Data rows only: the header's and the separator's cells are not numbers.
    if (cells.length !== 7 || !/^\d/.test(cells[1]!)) continue;
    rows.set(cells[0]!.split(' ')[0]!, cells.slice(1).map(Number));
  }
  return rows;
}

describe('README task-suite figures', () => {
  it('the per-agent table is kernel.by_agent of bench/results/tasks.json', () => {
    const rows = tableRows(section());
    expect([...rows.keys()].sort()).toEqual(Object.keys(result.kernel.by_agent).sort());
    for (const [agent, figures] of Object.entries(result.kernel.by_agent)) {
      const done = result.kernel.tasks.filter((task) => task.agent === agent && task.ok).length;
      expect(rows.get(agent), agent).toEqual([figures.tasks, done, figures.success_rate, figures.mean_steps, figures.mean_tokens, figures.mean_seconds]);
    }
  });

  it('the headline names the model, the threads, both success rates and their ratio', () => {
    const text = section().replace(/\s+/g, ' ');
    const headline = /\((\S+\.gguf), (\d+) threads?\) the kernel does (\d+) of (\d+) jobs \(success rate ([\d.]+)\) and plain chat (\d+) \(([\d.]+)\): `success_vs_plain_chat` ×([\d.]+)/.exec(text);
    expect(headline, 'the headline sentence is missing or reworded').not.toBeNull();
    const [, model, threads, done, jobs, rate, plainDone, plainRate, ratio] = headline!;
    expect(model).toBe(result.params.model);
    expect(Number(threads)).toBe(result.params.threads);
    expect(Number(done)).toBe(result.kernel.tasks.filter((task) => task.ok).length);
    expect(Number(jobs)).toBe(result.kernel.tasks.length);
    expect(Number(rate)).toBe(result.kernel.success_rate);
    expect(Number(plainDone)).toBe(result.baseline.tasks.filter((task) => task.ok).length);
    expect(Number(plainRate)).toBe(result.baseline.success_rate);
    expect(Number(ratio)).toBe(result.ratios.success_vs_plain_chat);
  });
});
