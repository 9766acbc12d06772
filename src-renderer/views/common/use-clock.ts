import { useSyncExternalStore } from 'react';

/** One shared one-second ticker for every live duration on the page; it runs only while someone listens. */
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;
let now = Date.now();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === null) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const notify of listeners) notify();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

const snapshot = (): number => now;

/** The current time, refreshed once a second. */
export function useClock(): number {
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}
