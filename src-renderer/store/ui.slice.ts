import { KernelCallError } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

export type Theme = 'dark' | 'light';

export type ViewId = 'task-manager' | 'kv-memory' | 'sandbox' | 'gallery' | 'models';

export type SortKey = 'pid' | 'name' | 'state' | 'class' | 'core' | 'slot' | 'rate' | 'tokens' | 'context' | 'kv' | 'tools' | 'uptime';
export type SortDirection = 'ascending' | 'descending';

export type AuditOutcomeFilter = 'all' | 'denied' | 'error' | 'ok' | 'allowed' | 'revoked';

export interface BannerError {
  id: number;
  code: string;
  message: string;
}

export interface UiSlice {
  view: ViewId;
  selectedPid: number | null;
  filter: string;
  showFinished: boolean;
  sort: { key: SortKey; direction: SortDirection };
  theme: Theme;
  errors: readonly BannerError[];
  /** The gallery agent whose install dialog is open. */
  installing: string | null;
  /** The process whose renice dialog is open. */
  renicing: number | null;
  /** The process whose kill is waiting for the user's confirmation. */
  killing: number | null;
  auditFilter: { text: string; outcome: AuditOutcomeFilter };
  showView(view: ViewId): void;
  select(pid: number | null): void;
  setFilter(filter: string): void;
  setShowFinished(show: boolean): void;
  /** Sorts by a column; the same column again flips the direction. */
  sortBy(key: SortKey): void;
  setTheme(theme: Theme): void;
  openInstall(agentId: string | null): void;
  openRenice(pid: number | null): void;
  openKill(pid: number | null): void;
  setAuditFilter(filter: Partial<UiSlice['auditFilter']>): void;
  /** Puts a failed call (a KernelCallError, or anything thrown) in the banner. */
  raiseError(error: unknown): void;
  dismissError(id: number): void;
}

/** Only this many errors stay in the banner; older ones drop off. */
const MAX_ERRORS = 5;

/** Columns whose natural first order is largest first. */
const DESCENDING_FIRST: readonly SortKey[] = ['rate', 'tokens', 'context', 'kv', 'tools', 'uptime'];

export const createUiSlice: SliceCreator<UiSlice> = (set) => {
  let nextErrorId = 1;
  return {
    view: 'task-manager',
    selectedPid: null,
    filter: '',
    showFinished: true,
    sort: { key: 'pid', direction: 'ascending' },
    theme: 'dark',
    errors: [],
    installing: null,
    renicing: null,
    killing: null,
    auditFilter: { text: '', outcome: 'all' },
    showView: (view) => set({ view }, false, 'ui/view'),
    select: (pid) => set({ selectedPid: pid }, false, 'ui/select'),
    setFilter: (filter) => set({ filter }, false, 'ui/filter'),
    setShowFinished: (showFinished) => set({ showFinished }, false, 'ui/show-finished'),
    sortBy: (key) =>
      set(
        (state) => ({
          sort:
            state.sort.key === key
              ? { key, direction: state.sort.direction === 'ascending' ? 'descending' : 'ascending' }
              : { key, direction: DESCENDING_FIRST.includes(key) ? 'descending' : 'ascending' },
        }),
        false,
        'ui/sort',
      ),
    setTheme: (theme) => set({ theme }, false, 'ui/theme'),
    openInstall: (installing) => set({ installing }, false, 'ui/install'),
    openRenice: (renicing) => set({ renicing }, false, 'ui/renice'),
    openKill: (killing) => set({ killing }, false, 'ui/kill'),
    setAuditFilter: (filter) => set((state) => ({ auditFilter: { ...state.auditFilter, ...filter } }), false, 'ui/audit-filter'),
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
