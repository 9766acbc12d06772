#!/usr/bin/env node
// `npm start`: the desktop app where Electron's binary is installed, else the headless kernel with its URL.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

/** Electron's package downloads its binary lazily; only look, never trigger a download. */
function electronBinary() {
  try {
    const packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathFile = join(packageDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { stdio: 'inherit', cwd: root });
  child.on('error', (error) => {
    console.error(`npm start: cannot start ${command}: ${error.message}`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const binary = electronBinary();
if (binary && existsSync(join(root, 'dist', 'src-main', 'app', 'electron-main.js'))) {
  run(binary, [root, ...args]);
} else {
  console.log('Electron binary not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD?): starting the headless kernel, `amk serve`, instead.');
  run(process.execPath, [join(root, 'bin', 'amk.js'), 'serve', ...args]);
}
