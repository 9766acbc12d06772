import { vi } from 'vitest';
import { runCli } from '../cli/amk.js';

/** The CLI in this process, its printed lines collected (a child per command costs seconds of startup each). */
export async function runCliInProcess(args: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    return { code: await runCli(args), stdout: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
