/**
 * A kernel in a child process for the crash tests: spawns the agents named on the command line
 * and prints each output event as a JSON line after the journal has it, until it is killed.
 * With CRASH_AT_STEP=S and CRASH_AFTER_TOKENS=N it kills itself (SIGKILL) right after the journal
 * took the N-th token of step S of pid 1: a kill -9 at an exact point, mid-step.
 * CRASH_MAX_STEPS makes every step a tool call and caps the steps (the agent cannot answer early).
 * CRASH_COMPACT_EVENTS compacts the journal every that many events, so the kill may land mid-compaction.
 */
import { bootTestKernel } from './fixtures.js';

const [dataDir, ...agents] = process.argv.slice(2);
const crashStep = Number(process.env.CRASH_AT_STEP ?? 0);
const crashTokens = Number(process.env.CRASH_AFTER_TOKENS ?? 0);
const maxSteps = Number(process.env.CRASH_MAX_STEPS ?? 1000);
const compactEvery = Number(process.env.CRASH_COMPACT_EVENTS ?? 0);
const kernel = await bootTestKernel(dataDir!, { slots: 2, ...(compactEvery > 0 ? { journal: { compactAfterEvents: compactEvery } } : {}) });
let tokens = 0;
kernel.bus.on((event) => {
  if (event.type !== 'proc.output') return;
  process.stdout.write(JSON.stringify({ pid: event.pid, step: event.step, text: event.text }) + '\n');
  // The journal's listener came first (it subscribed at boot): this token is on disk already.
  if (crashStep > 0 && event.pid === 1 && event.step === crashStep && ++tokens === crashTokens) process.kill(process.pid, 'SIGKILL');
});
const story = {
  id: 'endless-story',
  name: 'Endless story',
  description: 'writes until killed',
  systemPrompt: 'Tell a very long story.',
  kind: 'background',
  tools: ['calculator', 'text_stats'],
  // Every step a tool call: the kernel makes an agent that repeats a call it has the result of answer, and this one must not.
  model: { maxSteps, maxTokensPerStep: 200, maxAnswerChars: 200, toolSteps: maxSteps },
};
for (const task of agents) kernel.spawn(story, task);
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
