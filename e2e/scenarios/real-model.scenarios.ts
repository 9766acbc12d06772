import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { numbersIn } from '../../bench/task-suite.js';
import type { AppUnderTest, LaunchOptions } from '../fixtures/app-under-test.js';
import { repoRoot } from '../fixtures/paths.js';
import { AppShell } from '../pages/app-shell.page.js';
import { expectText } from '../pages/wait.js';

/**
 * An agent doing its job on a real model: the real instruct model (SmolLM2-135M-Instruct,
 * `npm run models:test`), the gallery's Math Tutor dragged onto the table with a task from the task
 * suite that it passes with greedy decoding (`math-multiply` in bench/results/tasks.json), and the
 * console showing the calculator call, its result and the answer holding the right number.
 */
export const REAL_MODEL_TASK = { agent: 'Math Tutor', task: 'What is 17 times 23?', expected: 391 } as const;

/** The task suite's context size and thread count, so the model sees the same tokens; the model path is added at launch. */
export const REAL_MODEL_SETUP: LaunchOptions = { slots: 1, context: 2048, threads: 1 };

/** A final step in the console: `{"type":"final","answer":"…"}`, spaced as the grammar allows. */
const FINAL_STEP = /"type"\s*:\s*"final"\s*,\s*"answer"\s*:\s*"((?:[^"\\]|\\.)*)"/;

/** The README's screenshot, refreshed by a run with AMK_E2E_UPDATE_DOCS=1 (otherwise the tree is left alone). */
const DOCS_SCREENSHOT = join(repoRoot, 'docs', 'screenshots', 'real-model-agent.png');

/**
 * A hang guard for the whole job (boot of the step grammar, three steps of a 135M model on one
 * thread of a shared 2-core machine), not a timing: the test waits on what the console shows.
 */
const JOB_LIMIT_MS = 240_000;

export function realModelScenarios(app: () => AppUnderTest): void {
  it(
    'an agent dragged from the gallery calls its tool, gets the result and answers with the right number',
    async () => {
      const { page, screenshot } = app();
      const shell = new AppShell(page);
      const taskManager = await shell.ready();

      const install = await taskManager.dragFromGallery(REAL_MODEL_TASK.agent);
      await install.setTask(REAL_MODEL_TASK.task);
      await install.start();
      const pid = await taskManager.waitForNewProcess(REAL_MODEL_TASK.agent);
      await taskManager.openConsole(pid);
      const output = shell.console.output(pid);

      // The call, with the numbers of the task in its expression, then the calculator's result.
      await expectText(output, /→ calculator \{"expression":"(?=[^"]*\b17\b)(?=[^"]*\b23\b)[^"]*"\}/, JOB_LIMIT_MS);
      await expectText(output, new RegExp(`← calculator ok \\{"value":${REAL_MODEL_TASK.expected}\\}`), JOB_LIMIT_MS);
      // The final step as the model wrote it, after the result: its answer must hold the number
      // (the console's other lines, such as a refused repeat of the call, may quote it too). Waited
      // for in the console itself: the agent's state is 'waiting' during the tool call as well.
      const finalAnswer = async (): Promise<string | undefined> => {
        const text = await output.innerText();
        return FINAL_STEP.exec(text.slice(text.indexOf('← calculator')))?.[1];
      };
      await expect.poll(finalAnswer, { timeout: JOB_LIMIT_MS, interval: 250 }).toBeDefined();
      const answer = (await finalAnswer())!;
      expect(numbersIn(JSON.parse(`"${answer}"`) as string), `the final answer: ${answer}`).toContain(REAL_MODEL_TASK.expected);
      // An interactive agent waits for the next message once it has answered.
      await taskManager.waitForState(pid, ['waiting'], JOB_LIMIT_MS);

      const path = await screenshot('real-model-agent');
      if (process.env.AMK_E2E_UPDATE_DOCS === '1') {
        mkdirSync(join(repoRoot, 'docs', 'screenshots'), { recursive: true });
        copyFileSync(path, DOCS_SCREENSHOT);
      }
    },
    JOB_LIMIT_MS + 60_000,
  );
}
