import type { KernelEvent } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/** Each console keeps only the tail of what a process said. */
export const CONSOLE_LIMIT = 20_000;

export interface ConsoleBuffer {
  text: string;
  /** The step the last output belonged to, to break lines between steps. */
  step: number | null;
}

export type Consoles = Readonly<Record<number, ConsoleBuffer>>;

export interface ConsoleSlice {
  consoles: Consoles;
  clearConsole(pid: number): void;
}

/** Appends and keeps the last `limit` characters, never starting on half a surrogate pair. */
export function appendCapped(text: string, extra: string, limit = CONSOLE_LIMIT): string {
  const joined = text + extra;
  if (joined.length <= limit) return joined;
  let start = joined.length - limit;
  const code = joined.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start += 1;
  return joined.slice(start);
}

function append(consoles: Consoles, pid: number, extra: string, step: number | null): Consoles {
  const current = consoles[pid] ?? { text: '', step: null };
  return { ...consoles, [pid]: { text: appendCapped(current.text, extra), step: step ?? current.step } };
}

/** A line of its own after whatever was streamed before it. */
function note(consoles: Consoles, pid: number, line: string): Consoles {
  const text = consoles[pid]?.text ?? '';
  const gap = text === '' || text.endsWith('\n') ? '' : '\n';
  return append(consoles, pid, `${gap}${line}\n`, null);
}

/** Streamed output per process, with a line for each tool result, rejected step and exit. */
export function applyConsoleEvent(consoles: Consoles, event: KernelEvent): Consoles {
  switch (event.type) {
    case 'proc.output': {
      const current = consoles[event.pid];
      const breakLine = current && current.step !== null && current.step !== event.step && !current.text.endsWith('\n');
      return append(consoles, event.pid, breakLine ? `\n${event.text}` : event.text, event.step);
    }
    case 'proc.tool-result':
      return note(
        consoles,
        event.pid,
        `[step ${event.step}] ${event.tool} ${event.ok ? 'ok' : `failed: ${event.error?.message ?? 'unknown error'}`} (${Math.round(event.durationMs)} ms)`,
      );
    case 'proc.step-rejected':
      return note(consoles, event.pid, `[step ${event.step}] rejected: ${event.error.message}`);
    case 'proc.exited':
      return note(consoles, event.pid, `[${event.state}] code ${event.exit.code}: ${event.exit.reason}`);
    default:
      return consoles;
  }
}

export const createConsoleSlice: SliceCreator<ConsoleSlice> = (set) => ({
  consoles: {},
  clearConsole: (pid) =>
    set(
      (state) => {
        const { [pid]: _cleared, ...rest } = state.consoles;
        return { consoles: rest };
      },
      false,
      'console/clear',
    ),
});
