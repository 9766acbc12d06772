import type { ProcessInfo } from '../../../src-shared/index.js';

/** The exit code the kernel gives a killed process (128 + SIGKILL, as a shell reports it). */
export const KILLED_EXIT_CODE = 137;

/** What the state column says: a killed process reads "killed", not just "exited". */
export function stateLabel(info: Pick<ProcessInfo, 'state' | 'exit'>): string {
  return info.state === 'exited' && info.exit?.code === KILLED_EXIT_CODE ? 'killed' : info.state;
}
