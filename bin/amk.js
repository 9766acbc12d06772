#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// What package.json's engines says, checked here too: npm only warns, and an older Node fails later with a stranger message.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`amk: needs Node 20.19 or newer (this is ${process.version})`);
  process.exit(1);
}

const entry = new URL('../dist/src-main/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('amk: not built yet: run `npm run build` in ' + fileURLToPath(new URL('..', import.meta.url)));
  process.exit(1);
}
await import(entry.href);
