/** Exit codes a shell user can branch on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export class UsageError extends Error {}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Math.round(seconds % 60)}s`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/**
 * Resolves with the first SIGINT or SIGTERM, and keeps listening until `release`: Ctrl+C at a
 * terminal reaches `amk serve` twice (from the terminal's process group and again from
 * `npm start`'s wrapper), and a later signal must not cut the shutdown short with Node's default
 * exit. Later signals are acknowledged, once, on stderr. `release` is for giving up before the
 * shutdown starts (a failed start); a process that shuts down keeps the handlers to its end.
 */
export function shutdownSignal(): { received: Promise<NodeJS.Signals>; release: () => void } {
  let first: NodeJS.Signals | null = null;
  let told = false;
  let resolveReceived: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first === null) {
      first = signal;
      resolveReceived(signal);
      return;
    }
    if (!told) process.stderr.write('already shutting down: agents are stopping at a token boundary\n');
    told = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Sizes are spelled once, in src-shared, for the CLI and the UI alike. */
export { formatBytes } from '../../src-shared/index.js';
