/**
 * A kernel in a child process for the crash test: spawns the agents named on the command line
 * and prints each output event as a JSON line after the journal has it, until it is killed.
 */
import { bootTestKernel } from './fixtures.js';

const [dataDir, ...agents] = process.argv.slice(2);
const kernel = await bootTestKernel(dataDir!, { slots: 2 });
kernel.bus.on((event) => {
  if (event.type === 'proc.output') process.stdout.write(JSON.stringify({ pid: event.pid, text: event.text }) + '\n');
});
const story = {
  id: 'endless-story',
  name: 'Endless story',
  description: 'writes until killed',
  systemPrompt: 'Tell a very long story.',
  kind: 'background',
  tools: ['calculator', 'text_stats'],
  model: { maxSteps: 1000, maxTokensPerStep: 200, maxAnswerChars: 200 },
};
for (const task of agents) kernel.spawn(story, task);
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
