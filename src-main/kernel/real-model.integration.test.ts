import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKernelTask } from '../../bench/task-runner.js';
import { prepareTaskFolder, TASKS, type TaskEnv } from '../../bench/task-suite.js';
import { bootTestKernel, tempDir, testChatModelPath } from '../test-support/fixtures.js';
import type { Kernel } from './index.js';

/**
 * Agents doing real jobs, in `npm test`: a few tasks of the suite (`npm run bench -- tasks`) on the
 * real instruct model, judged by the suite's own code. Only tasks the kernel passes with greedy
 * decoding every time are here (same model, one thread: the same tokens each run). The web tasks
 * are not: their prompt holds a random port, so their tokens differ from run to run.
 */
const CI_TASKS: Record<string, string> = {
  'math-multiply': 'calculator',
  'math-subtract': 'calculator',
  'math-power': 'calculator',
  'math-decimal': 'calculator',
  'budget-sum': 'calculator',
  'convert-c-f': 'unit_convert',
  'convert-kg-lb': 'unit_convert',
};

describe('agents doing real jobs with the real instruct model', () => {
  let kernel: Kernel | null = null;
  let env: TaskEnv;
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    // Missing, this throws the one line that says how to get the model.
    const modelPath = testChatModelPath();
    const dir = tempDir();
    cleanups.push(dir.dispose);
    env = { dir: join(dir.path, 'tasks'), port: 0, today: new Date().toISOString().slice(0, 10) };
    mkdirSync(env.dir);
    prepareTaskFolder(env.dir);
    kernel = await bootTestKernel(join(dir.path, 'data'), { modelPath });
    cleanups.push(() => kernel?.dispose());
  });

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  for (const [id, tool] of Object.entries(CI_TASKS)) {
    it(`${id}: calls ${tool} with the right arguments and answers with its result`, async () => {
      const task = TASKS.find((candidate) => candidate.id === id);
      expect(task, id).toBeDefined();
      const outcome = await runKernelTask(kernel!, task!, env, 90_000);
      expect(outcome.problem, `${id} answered ${JSON.stringify(outcome.answer)}`).toBeNull();
      expect(outcome.ok).toBe(true);
      const calls = kernel!.transcript(kernel!.listProcesses().at(-1)!.pid).filter((entry) => entry.kind === 'tool-call');
      expect(calls.map((call) => call.kind === 'tool-call' && call.tool)).toContain(tool);
    }, 120_000);
  }
});
