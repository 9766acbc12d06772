import { useEffect } from 'react';
import { useKernelStore } from './kernel-store.js';
import type { ViewId } from './ui.slice.js';

/**
 * The selected view survives a reload through localStorage, not the URL: the fragment carries the
 * token (`#token=`) until the transport removes it, and must stay the token's alone.
 */
export const VIEW_KEY = 'amk.view';

const VIEW_IDS: readonly ViewId[] = ['task-manager', 'kv-memory', 'sandbox', 'gallery', 'models'];

/** The view picked last time, or null (none saved, storage off, or a value this version does not know). */
export function savedView(storage: Pick<Storage, 'getItem'> | null): ViewId | null {
  try {
    const saved = storage?.getItem(VIEW_KEY);
    return VIEW_IDS.find((view) => view === saved) ?? null;
  } catch {
    return null;
  }
}

/** Saves the current view whenever it changes. */
export function usePersistedView(storage: Pick<Storage, 'setItem'> | null): void {
  const view = useKernelStore((state) => state.view);
  useEffect(() => {
    try {
      storage?.setItem(VIEW_KEY, view);
    } catch {
      // Storage can be off: the view then lasts for this page only.
    }
  }, [storage, view]);
}
