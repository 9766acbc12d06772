/**
 * Agents doing real jobs: tasks for the gallery agents, each judged by code. A task names its agent,
 * the capabilities a user would grant it, and a judge that reads the final answer (and what the agent
 * left on disk). Shared by `npm run bench -- tasks` and the real-model integration test.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a task may refer to: its own folder and the loopback JSON server. */
export interface TaskEnv {
  dir: string;
  port: number;
  /** Today's date as the clock tool reports it (UTC, YYYY-MM-DD). */
  today: string;
}

export interface SuiteTask {
  id: string;
  agent: string;
  task: (env: TaskEnv) => string;
  /** Capabilities granted before the run, as a user would through the grants API. */
  grants?: (env: TaskEnv) => string[];
  /** A first agent whose process context is handed (as text) to `agent`. */
  handoffFrom?: { agent: string; task: string };
  /** Null when the job was done; otherwise what was wrong. */
  judge: (answer: string, env: TaskEnv) => string | null;
}

/** Every number written in the text (thousands separators dropped). */
export function numbersIn(text: string): number[] {
  return (text.replace(/(\d),(?=\d{3}\b)/g, '$1').match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
}

/** The answer states the number, to the precision a person would round to (0.5% or 0.01). */
export function hasNumber(expected: number): (answer: string) => string | null {
  return (answer) => {
    const found = numbersIn(answer).some((value) => Math.abs(value - expected) <= Math.max(0.01, Math.abs(expected) * 0.005));
    return found ? null : `expected ${expected} in the answer`;
  };
}

function hasText(...alternatives: string[]): (answer: string) => string | null {
  return (answer) => (alternatives.some((text) => answer.toLowerCase().includes(text.toLowerCase())) ? null : `expected "${alternatives.join('" or "')}" in the answer`);
}

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;
const lines = (text: string): number => text.split('\n').length;

const TEXT_A = 'The river rose overnight and the old bridge closed at dawn. Farmers moved their sheep to the hills before noon.';
const TEXT_B = 'Please bring your badge tomorrow. The front door will be locked until nine.';
const TEXT_C = 'Roses are red\nViolets are blue\nSugar is sweet\nAnd so are you';
const INBOX = 'Invoice 2291 from Northwind: 14 boxes of paper, 3 toner cartridges, due in thirty days.';

export const NOTES: Record<string, string> = {
  'car.md': '# Car\nThe car service is booked for 14 March at Garage Delmont.\nTyres: winter set in the shed.\n',
  'garden.md': '# Garden\nPlant the tomato seedlings after the last frost, around 20 April.\nThe hose needs a new washer.\n',
  'dentist.md': '# Health\nDentist appointment with Dr. Okafor on 9 June at 15:30.\n',
  'books.md': '# Reading\nCurrently reading The Left Hand of Darkness; next up is Piranesi.\n',
};

export const WEATHER = { city: 'Lisbon', temperature: 23, humidity: 61, wind: { speed: 14, unit: 'km/h' } };
export const STOCK = { item: 'blue mugs', inStock: 37, warehouse: 'Porto' };

/** A log far larger than the window, with one fact near its end: the locker code. */
export function archiveText(): string {
  const filler = Array.from({ length: 260 }, (_, i) => `Entry ${i + 1}: routine check of shelf ${(i % 40) + 1}, nothing to report, lights and heating normal.`);
  filler.splice(230, 0, 'Entry 231b: the blue locker code was changed to 4817 by the caretaker.');
  return filler.join('\n') + '\n';
}

/** Lays out the fixture folder a task run reads from and writes to. */
export function prepareTaskFolder(dir: string): void {
  mkdirSync(join(dir, 'notes'), { recursive: true });
  mkdirSync(join(dir, 'journal'), { recursive: true });
  mkdirSync(join(dir, 'archive'), { recursive: true });
  for (const [name, text] of Object.entries(NOTES)) writeFileSync(join(dir, 'notes', name), text);
  writeFileSync(join(dir, 'archive', 'log.md'), archiveText());
}

function journalJudge(content: string): (answer: string, env: TaskEnv) => string | null {
  return (_answer, env) => {
    const path = join(env.dir, 'journal', 'journal.md');
    if (!existsSync(path)) return 'journal.md was not written';
    const text = readFileSync(path, 'utf8');
    if (!text.includes(env.today)) return `journal.md lacks the date ${env.today}`;
    return text.toLowerCase().includes(content) ? null : `journal.md lacks "${content}"`;
  };
}

const notesGrant = (env: TaskEnv): string[] => [`fs:read:${join(env.dir, 'notes')}`];
const netGrant = (env: TaskEnv): string[] => [`net:127.0.0.1:${env.port}`];

export const TASKS: readonly SuiteTask[] = [
  // Arithmetic through the calculator.
  { id: 'math-multiply', agent: 'math-tutor', task: () => 'What is 17 times 23?', judge: hasNumber(391) },
  { id: 'math-subtract', agent: 'math-tutor', task: () => 'What is 1000 minus 387?', judge: hasNumber(613) },
  { id: 'math-power', agent: 'math-tutor', task: () => 'What is 2 to the power of 10?', judge: hasNumber(1024) },
  { id: 'math-parentheses', agent: 'math-tutor', task: () => 'Compute (45 + 55) * 3.', judge: hasNumber(300) },
  { id: 'math-decimal', agent: 'math-tutor', task: () => 'What is 7.5 multiplied by 4.2?', judge: hasNumber(31.5) },
  { id: 'math-divide', agent: 'math-tutor', task: () => 'Divide 936 by 8.', judge: hasNumber(117) },
  // Household sums.
  { id: 'budget-sum', agent: 'budget-planner', task: () => 'My rent is 1200, food 450 and transport 130 a month. What is the monthly total?', judge: hasNumber(1780) },
  { id: 'budget-split', agent: 'budget-planner', task: () => 'A dinner bill of 96 is split equally between 4 friends. How much does each pay?', judge: hasNumber(24) },
  { id: 'budget-yearly', agent: 'budget-planner', task: () => 'I pay 85 a month for internet. How much is that in a year?', judge: hasNumber(1020) },
  { id: 'budget-percent', agent: 'budget-planner', task: () => 'What is 20 percent of a salary of 3500?', judge: hasNumber(700) },
  { id: 'budget-savings', agent: 'budget-planner', task: () => 'I earn 2600 a month and spend 1950. How much do I save each month?', judge: hasNumber(650) },
  // Unit conversion.
  { id: 'convert-km-m', agent: 'unit-converter', task: () => 'Convert 5 km to m.', judge: hasNumber(5000) },
  { id: 'convert-mi-km', agent: 'unit-converter', task: () => 'How many km are 10 mi?', judge: hasNumber(16.09) },
  { id: 'convert-c-f', agent: 'unit-converter', task: () => 'Convert 100 degrees c to f.', judge: hasNumber(212) },
  { id: 'convert-kg-lb', agent: 'unit-converter', task: () => 'Convert 2 kg to lb.', judge: hasNumber(4.41) },
  { id: 'convert-h-min', agent: 'unit-converter', task: () => 'How many min are 3 h?', judge: hasNumber(180) },
  { id: 'convert-in-cm', agent: 'unit-converter', task: () => 'Convert 12 in to cm.', judge: hasNumber(30.48) },
  // Recipe scaling.
  { id: 'recipe-flour', agent: 'recipe-scaler', task: () => 'A recipe for 4 people uses 300 g of flour. How many g of flour for 10 people?', judge: hasNumber(750) },
  { id: 'recipe-milk', agent: 'recipe-scaler', task: () => 'A recipe for 2 uses 150 ml of milk. How many ml for 6?', judge: hasNumber(450) },
  { id: 'recipe-rice', agent: 'recipe-scaler', task: () => 'A recipe for 4 uses 250 g of rice. How many g for 7 people?', judge: hasNumber(437.5) },
  { id: 'recipe-sugar-lb', agent: 'recipe-scaler', task: () => 'Convert 500 g of sugar to lb.', judge: hasNumber(1.1) },
  // Text statistics of a given text.
  { id: 'text-words', agent: 'text-analyst', task: () => `How many words are in this text: ${TEXT_A}`, judge: hasNumber(words(TEXT_A)) },
  { id: 'text-words-short', agent: 'text-analyst', task: () => `Count the words of: ${TEXT_B}`, judge: hasNumber(words(TEXT_B)) },
  { id: 'text-lines', agent: 'text-analyst', task: () => `How many lines does this poem have?\n${TEXT_C}`, judge: hasNumber(lines(TEXT_C)) },
  { id: 'inbox-words', agent: 'inbox-watcher', task: () => `New file invoice.txt with this text: ${INBOX} How many words does it have?`, judge: hasNumber(words(INBOX)) },
  // Finding a note by topic in a granted folder.
  { id: 'notes-car', agent: 'notes-finder', grants: notesGrant, task: (env) => `In my notes folder ${join(env.dir, 'notes')}, find when the car service is booked.`, judge: hasText('14 March') },
  { id: 'notes-dentist', agent: 'notes-finder', grants: notesGrant, task: (env) => `Search my notes in ${join(env.dir, 'notes')} for the dentist. Who is the dentist?`, judge: hasText('Okafor') },
  { id: 'notes-books', agent: 'notes-finder', grants: notesGrant, task: (env) => `Look in ${join(env.dir, 'notes')} for what book I am reading next.`, judge: hasText('Piranesi') },
  // Writing a journal entry in a granted folder.
  {
    id: 'journal-tomatoes',
    agent: 'daily-journal',
    grants: (env) => ['clock', `fs:write:${join(env.dir, 'journal')}`],
    task: (env) => `Add an entry to my journal at ${join(env.dir, 'journal', 'journal.md')}: I planted tomatoes today.`,
    judge: journalJudge('tomatoes'),
  },
  // A JSON page on loopback.
  { id: 'web-temperature', agent: 'web-reader', grants: netGrant, task: (env) => `Fetch http://127.0.0.1:${env.port}/weather.json and tell me the temperature.`, judge: hasNumber(WEATHER.temperature) },
  { id: 'web-city', agent: 'web-reader', grants: netGrant, task: (env) => `Which city is http://127.0.0.1:${env.port}/weather.json about?`, judge: hasText(WEATHER.city) },
  { id: 'web-stock', agent: 'web-reader', grants: netGrant, task: (env) => `Get http://127.0.0.1:${env.port}/stock.json and say how many are in stock.`, judge: hasNumber(STOCK.inStock) },
  // A handoff: the second agent uses what the first produced.
  {
    id: 'handoff-convert-then-divide',
    agent: 'math-tutor',
    handoffFrom: { agent: 'unit-converter', task: 'Convert 5 km to m.' },
    task: () => 'Divide the number of meters found above by 8.',
    judge: hasNumber(625),
  },
  // Recall of a fact planted far past the context window.
  {
    id: 'recall-locker-code',
    agent: 'notes-finder',
    grants: (env) => [`fs:read:${join(env.dir, 'archive')}`],
    task: (env) => `Read ${join(env.dir, 'archive', 'log.md')} and tell me the blue locker code.`,
    judge: hasText('4817'),
  },
  // Agents without tools still do their job.
  { id: 'story-named', agent: 'storyteller', task: () => 'A story about a kitten called Miso who finds a red ball.', judge: hasText('Miso') },
  { id: 'webhook-server', agent: 'webhook-triage', task: () => 'Notification: disk usage on server web-3 reached 97 percent.', judge: hasText('web-3', '97') },
];
