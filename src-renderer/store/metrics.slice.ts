import type { KernelEvent } from '../../src-shared/index.js';
import { isTerminal } from '../../src-shared/index.js';
import type { ProcessTable } from './processes.slice.js';
import type { SliceCreator } from './store-types.js';

/** How often the bridge samples token rates: the table's live rate is at least 2 Hz. */
export const SAMPLE_MS = 500;
/** Samples kept per process for its sparkline: 30 seconds. */
export const HISTORY_LENGTH = 60;

/** Tokens/s of one process, oldest sample first. */
export type RateHistory = readonly number[];

export interface MetricsSlice {
  /** Streamed tokens per process since the last sample (one `proc.output` event per decoded token). */
  tokenTally: Readonly<Record<number, number>>;
  rates: Readonly<Record<number, RateHistory>>;
  /** When the last sample was taken, to turn a tally into a rate. */
  sampledAt: number | null;
  /** Turns the tally into one more sample per live process ('metrics/sample'). */
  sampleRates(now: number): void;
}

/** Counts streamed tokens; every other event leaves the tally as it is. */
export function applyMetricsEvent(tally: Readonly<Record<number, number>>, event: KernelEvent): Readonly<Record<number, number>> {
  if (event.type !== 'proc.output') return tally;
  return { ...tally, [event.pid]: (tally[event.pid] ?? 0) + 1 };
}

const allZero = (history: RateHistory | undefined): boolean => history === undefined || history.every((value) => value === 0);

/**
 * One sample for every live process. A history that was all zeros and stays so keeps its
 * identity, so idle rows do not re-render; finished processes keep their last history.
 */
export function sampleHistories(
  rates: Readonly<Record<number, RateHistory>>,
  tally: Readonly<Record<number, number>>,
  processes: ProcessTable,
  elapsedMs: number,
): Readonly<Record<number, RateHistory>> {
  let next: Record<number, RateHistory> | null = null;
  for (const info of Object.values(processes)) {
    if (isTerminal(info.state)) continue;
    const rate = elapsedMs > 0 ? ((tally[info.pid] ?? 0) * 1000) / elapsedMs : 0;
    const history = rates[info.pid];
    if (rate === 0 && history !== undefined && allZero(history)) continue;
    next ??= { ...rates };
    next[info.pid] = [...(history ?? []), Math.round(rate * 10) / 10].slice(-HISTORY_LENGTH);
  }
  for (const pid of Object.keys(rates).map(Number)) {
    if (processes[pid]) continue;
    next ??= { ...rates };
    delete next[pid];
  }
  return next ?? rates;
}

/** The latest sample, or 0 before the first one. */
export function currentRate(history: RateHistory | undefined): number {
  return history && history.length > 0 ? history[history.length - 1]! : 0;
}

export const createMetricsSlice: SliceCreator<MetricsSlice> = (set) => ({
  tokenTally: {},
  rates: {},
  sampledAt: null,
  sampleRates: (now) =>
    set(
      (state) => {
        const elapsed = state.sampledAt === null ? 0 : now - state.sampledAt;
        return { rates: sampleHistories(state.rates, state.tokenTally, state.processes, elapsed), tokenTally: {}, sampledAt: now };
      },
      false,
      'metrics/sample',
    ),
});
