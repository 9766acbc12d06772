#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src-main/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('amk: not built yet: run `npm run build` in ' + fileURLToPath(new URL('..', import.meta.url)));
  process.exit(1);
}
await import(entry.href);
