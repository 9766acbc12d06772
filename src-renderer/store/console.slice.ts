import type { KernelEvent, TranscriptEntry } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/** Each console keeps only the tail of what a process said. */
export const CONSOLE_LIMIT = 20_000;

export interface ConsoleBuffer {
  text: string;
  /** The step the last output belonged to, to break lines between steps. */
  step: number | null;
  /** Whether the history from before this page connected was read from the kernel. */
  hydrated: boolean;
}

export type Consoles = Readonly<Record<number, ConsoleBuffer>>;

export interface ConsoleSlice {
  consoles: Consoles;
  clearConsole(pid: number): void;
  /** Reads the process's transcript once, so the console shows what happened before the page connected. */
  hydrateConsole(pid: number): Promise<void>;
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

const EMPTY: ConsoleBuffer = { text: '', step: null, hydrated: false };

function append(consoles: Consoles, pid: number, extra: string, step: number | null): Consoles {
  const current = consoles[pid] ?? EMPTY;
  return { ...consoles, [pid]: { ...current, text: appendCapped(current.text, extra), step: step ?? current.step } };
}

/** A line of its own after whatever was streamed before it. */
function note(consoles: Consoles, pid: number, line: string): Consoles {
  const text = consoles[pid]?.text ?? '';
  const gap = text === '' || text.endsWith('\n') ? '' : '\n';
  return append(consoles, pid, `${gap}${line}\n`, null);
}

const short = (value: unknown, limit = 160): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
};

export const toolCallLine = (step: number, tool: string, args: unknown): string => `[step ${step}] → ${tool} ${short(args)}`;
export const toolResultLine = (step: number, tool: string, ok: boolean, detail: string): string =>
  `[step ${step}] ← ${tool} ${ok ? `ok ${detail}` : `failed: ${detail}`}`;
export const inputLine = (text: string): string => `> ${text}`;
export const interruptedLine = (step: number, reason: string): string => `[step ${step}] interrupted: ${reason}`;

/** Streamed output per process, with a line for each tool call and result, user message, rejected step and exit. */
export function applyConsoleEvent(consoles: Consoles, event: KernelEvent): Consoles {
  switch (event.type) {
    case 'proc.output': {
      const current = consoles[event.pid];
      const breakLine = current && current.step !== null && current.step !== event.step && !current.text.endsWith('\n');
      return append(consoles, event.pid, breakLine ? `\n${event.text}` : event.text, event.step);
    }
    case 'proc.step':
      if (event.action.type !== 'tool') return consoles;
      return note(consoles, event.pid, toolCallLine(event.step, event.action.tool, event.action.args));
    case 'proc.tool-result':
      return note(
        consoles,
        event.pid,
        toolResultLine(
          event.step,
          event.tool,
          event.ok,
          event.ok ? `${short(event.value, 120)} (${Math.round(event.durationMs)} ms)` : `${event.error?.code ?? 'ERROR'}: ${event.error?.message ?? 'unknown error'}`,
        ),
      );
    case 'proc.input':
      return note(consoles, event.pid, inputLine(event.text));
    case 'ipc.message':
      return note(consoles, event.to, `✉ ${event.from}: ${event.text}`);
    case 'proc.step-rejected':
      return note(consoles, event.pid, `[step ${event.step}] rejected: ${event.error.message}`);
    case 'proc.step-interrupted':
      return note(consoles, event.pid, interruptedLine(event.step, event.reason));
    case 'proc.exited':
      return note(consoles, event.pid, `[${event.state}] code ${event.exit.code}: ${event.exit.reason}`);
    default:
      return consoles;
  }
}

/** The console text a transcript amounts to, in the same words as the live stream. */
export function transcriptText(entries: readonly TranscriptEntry[]): string {
  let text = '';
  const line = (value: string): void => {
    text += `${text === '' || text.endsWith('\n') ? '' : '\n'}${value}\n`;
  };
  for (const entry of entries) {
    switch (entry.kind) {
      case 'task':
        line(`task: ${entry.text}`);
        break;
      case 'output':
        text += entry.text;
        break;
      case 'interrupted':
        // Shown, but apart from the step's regenerated output, which follows on a line of its own.
        text += entry.text;
        line(interruptedLine(entry.step, entry.reason));
        break;
      case 'tool-call':
        line(toolCallLine(entry.step, entry.tool, entry.args));
        break;
      case 'tool-result':
        line(
          toolResultLine(entry.step, entry.tool, entry.ok, entry.ok ? short(entry.value, 120) : `${entry.error?.code ?? 'ERROR'}: ${entry.error?.message ?? 'unknown error'}`),
        );
        break;
      case 'input':
        line(inputLine(entry.text));
        break;
      case 'rejected':
        line(`[step ${entry.step}] rejected: ${entry.error.message}`);
        break;
      case 'answer':
        break;
    }
  }
  return appendCapped('', text);
}

export const createConsoleSlice: SliceCreator<ConsoleSlice> = (set, get) => ({
  consoles: {},
  clearConsole: (pid) =>
    set(
      (state) => ({ consoles: { ...state.consoles, [pid]: { text: '', step: null, hydrated: true } } }),
      false,
      'console/clear',
    ),
  hydrateConsole: async (pid) => {
    if (get().consoles[pid]?.hydrated) return;
    const transcript = await get().callKernel('proc.transcript', { pid });
    if (!transcript) return;
    set(
      (state) => {
        const current = state.consoles[pid];
        if (current?.hydrated) return {};
        const exit = state.processes[pid]?.exit;
        const ending = exit ? `[${state.processes[pid]?.state}] code ${exit.code}: ${exit.reason}\n` : '';
        const text = transcriptText(transcript);
        const gap = text === '' || text.endsWith('\n') ? '' : '\n';
        return { consoles: { ...state.consoles, [pid]: { text: appendCapped(text, ending === '' ? '' : gap + ending), step: null, hydrated: true } } };
      },
      false,
      'console/hydrate',
    );
  },
});
