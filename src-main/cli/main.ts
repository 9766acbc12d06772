import { runCli } from './amk.js';

process.exitCode = await runCli(process.argv.slice(2));
