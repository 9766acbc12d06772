/**
 * Agents doing real jobs: every suite task on the kernel (tools, step grammar, memory, grants)
 * against the same model answering the same task in one plain chat turn. Judged by code.
 * `npm run bench -- tasks [--model PATH] [--only id,id]`; the default model is the real chat model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src-main/settings.js';
import { benchKernel, machineFacts, type BenchOptions, type BenchResult } from './bench-support.js';
import { runKernelTask, runPlainChat, startJsonServer, type TaskOutcome } from './task-runner.js';
import { prepareTaskFolder, TASKS, type TaskEnv } from './task-suite.js';

const mean = (values: number[]): number => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
const rate = (outcomes: readonly TaskOutcome[]): number => (outcomes.length === 0 ? 0 : outcomes.filter((o) => o.ok).length / outcomes.length);
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function byAgent(outcomes: readonly TaskOutcome[]): Record<string, unknown> {
  const agents = [...new Set(outcomes.map((o) => o.agent))].sort();
  return Object.fromEntries(
    agents.map((agent) => {
      const mine = outcomes.filter((o) => o.agent === agent);
      return [
        agent,
        {
          tasks: mine.length,
          success_rate: round(rate(mine)),
          mean_steps: round(mean(mine.map((o) => o.steps)), 2),
          mean_tokens: Math.round(mean(mine.map((o) => o.tokens))),
          mean_seconds: round(mean(mine.map((o) => o.seconds)), 2),
        },
      ];
    }),
  );
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const threads = options.threads ?? 1;
  const only = typeof options.args.only === 'string' ? new Set(options.args.only.split(',')) : null;
  const tasks = TASKS.filter((task) => !only || only.has(task.id));
  const dir = mkdtempSync(join(tmpdir(), 'amk-tasks-'));
  const server = await startJsonServer();
  const env: TaskEnv = { dir, port: server.port, today: new Date().toISOString().slice(0, 10) };
  prepareTaskFolder(dir);
  const kernelOutcomes: TaskOutcome[] = [];
  try {
    const { kernel, dispose } = await benchKernel({ ...options, gpu: 'cpu', threads }, {});
    try {
      for (const task of tasks) {
        const outcome = await runKernelTask(kernel, task, env);
        kernelOutcomes.push(outcome);
        console.error(`kernel ${outcome.ok ? 'PASS' : 'FAIL'} ${task.id} (${outcome.steps} steps, ${outcome.seconds.toFixed(1)} s): ${outcome.problem ?? ''} ${JSON.stringify(outcome.answer.slice(0, 160))}`);
      }
    } finally {
      await dispose();
    }
    const plain = options.args['no-baseline'] ? [] : await runPlainChat(options.modelPath, threads, tasks, env, join(packageRoot(), 'assets', 'gallery'));
    for (const outcome of plain) console.error(`plain  ${outcome.ok ? 'PASS' : 'FAIL'} ${outcome.id}: ${JSON.stringify(outcome.answer.slice(0, 160))}`);
    const kernelRate = rate(kernelOutcomes);
    const plainRate = rate(plain);
    return {
      name: 'tasks',
      machine: machineFacts(),
      model: options.modelPath,
      params: { model: options.modelPath.split('/').at(-1), threads, runs: 1, tasks: tasks.length, decoding: 'as each gallery manifest says (temperature 0: greedy)', gpu: 'cpu' },
      kernel: {
        success_rate: round(kernelRate),
        tasks: kernelOutcomes.map((o) => ({ id: o.id, agent: o.agent, ok: o.ok, problem: o.problem, steps: o.steps, tokens: o.tokens, seconds: round(o.seconds, 2), answer: o.answer })),
        by_agent: byAgent(kernelOutcomes),
      },
      baseline: {
        kind: 'the same model, one plain chat turn per task (LlamaChatSession): no tools, no grammar, no memory',
        success_rate: round(plainRate),
        tasks: plain.map((o) => ({ id: o.id, ok: o.ok, answer: o.answer.slice(0, 300) })),
      },
      ratios: { success_vs_plain_chat: plainRate === 0 ? null : round(kernelRate / plainRate) },
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
