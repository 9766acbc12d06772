import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../settings.js';

const MAIN = join(packageRoot(), 'src-main', 'cli', 'main.ts');

/** The commands `amk --help` names: `amk WORD` anywhere, and the `| WORD PID` alternatives of one line. */
function helpCommands(): Set<string> {
  const help = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--help'], { encoding: 'utf8' });
  expect(help.status).toBe(0);
  // Nothing but usage: no ExperimentalWarning (or any other) from Node on the way.
  expect(help.stderr).toBe('');
  const words = new Set<string>();
  for (const match of help.stdout.matchAll(/\bamk ([a-z][a-z-]*)/g)) words.add(match[1]!);
  for (const match of help.stdout.matchAll(/\| ([a-z]+) PID/g)) words.add(match[1]!);
  // "amk: the Agentic Microkernel" is the title, not a command.
  words.delete('the');
  return words;
}

/** The commands the README names as `amk WORD` (not `amk://` resources). */
function readmeCommands(): Set<string> {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
  const words = new Set<string>();
  for (const match of readme.matchAll(/\bamk ([a-z][a-z-]*)/g)) words.add(match[1]!);
  for (const match of readme.matchAll(/\| ([a-z]+) PID/g)) words.add(match[1]!);
  return words;
}

describe('the README and amk --help agree', () => {
  it('names every command of amk --help in the README, and no command amk does not have', () => {
    const help = helpCommands();
    const readme = readmeCommands();
    expect(help.size).toBeGreaterThan(15);
    expect([...help].filter((word) => !readme.has(word)), 'commands missing from the README').toEqual([]);
    expect([...readme].filter((word) => !help.has(word)), 'commands in the README that amk does not have').toEqual([]);
  });
});

describe('the docs and the tree agree', () => {
  it('lists every command of amk --help in docs/ARCHITECTURE.md, and counts the gallery right in the README', () => {
    const architecture = readFileSync(join(packageRoot(), 'docs', 'ARCHITECTURE.md'), 'utf8');
    const cliEntry = /\n {2}cli\/ +([\s\S]*?)\n {2}\S/.exec(architecture)?.[1] ?? '';
    const listed = new Set(cliEntry.split(/[\s,:;`()]+/));
    expect([...helpCommands()].filter((command) => !listed.has(command)), 'commands missing from the cli/ entry').toEqual([]);
    const count = readdirSync(join(packageRoot(), 'assets', 'gallery')).filter((file) => file.endsWith('.json')).length;
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen'];
    const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
    expect(/The gallery in `assets\/gallery\/` ships (\w+)\./.exec(readme)?.[1]).toBe(words[count] ?? String(count));
  });
});
