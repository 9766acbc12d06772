import { KernelCallError } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

export type Theme = 'dark' | 'light';

export interface BannerError {
  id: number;
  code: string;
  message: string;
}

export interface UiSlice {
  selectedPid: number | null;
  filter: string;
  showFinished: boolean;
  theme: Theme;
  errors: readonly BannerError[];
  select(pid: number | null): void;
  setFilter(filter: string): void;
  setShowFinished(show: boolean): void;
  setTheme(theme: Theme): void;
  /** Puts a failed call (a KernelCallError, or anything thrown) in the banner. */
  raiseError(error: unknown): void;
  dismissError(id: number): void;
}

/** Only this many errors stay in the banner; older ones drop off. */
const MAX_ERRORS = 5;

export const createUiSlice: SliceCreator<UiSlice> = (set) => {
  let nextErrorId = 1;
  return {
    selectedPid: null,
    filter: '',
    showFinished: true,
    theme: 'dark',
    errors: [],
    select: (pid) => set({ selectedPid: pid }, false, 'ui/select'),
    setFilter: (filter) => set({ filter }, false, 'ui/filter'),
    setShowFinished: (showFinished) => set({ showFinished }, false, 'ui/show-finished'),
    setTheme: (theme) => set({ theme }, false, 'ui/theme'),
    raiseError: (error) => {
      const entry: BannerError =
        error instanceof KernelCallError
          ? { id: nextErrorId++, code: error.code, message: error.message }
          : { id: nextErrorId++, code: 'ERROR', message: error instanceof Error ? error.message : String(error) };
      set((state) => ({ errors: [...state.errors, entry].slice(-MAX_ERRORS) }), false, 'ui/error-raised');
    },
    dismissError: (id) =>
      set((state) => ({ errors: state.errors.filter((error) => error.id !== id) }), false, 'ui/error-dismissed'),
  };
};
