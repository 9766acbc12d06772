import { useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { isTerminal } from '../../src-shared/index.js';
import { useKernelStore } from '../store/kernel-store.js';
import { isDownloadActive } from '../store/models.slice.js';
import { selectDenialCount, selectPendingRequestCount } from '../store/sandbox.selectors.js';
import { selectConnection, selectKernelInfo, selectTheme, selectView } from '../store/selectors.js';
import type { ViewId } from '../store/ui.slice.js';
import { droppedAgent, isAgentDrag } from './common/agent-drag.js';
import { shortcutLabel, useViewShortcuts } from './common/use-view-shortcuts.js';

export const VIEWS: readonly { id: ViewId; label: string }[] = [
  { id: 'task-manager', label: 'Task Manager' },
  { id: 'kv-memory', label: 'KV Memory' },
  { id: 'sandbox', label: 'Sandbox' },
  { id: 'gallery', label: 'Gallery' },
  { id: 'models', label: 'Models' },
];

const VIEW_ORDER: readonly ViewId[] = VIEWS.map((entry) => entry.id);

export const tabId = (view: ViewId): string => `tab-${view}`;
export const panelId = (view: ViewId): string => `view-${view}`;

function TabBadge({ view }: { view: ViewId }) {
  const live = useKernelStore((state) => (view === 'task-manager' ? Object.values(state.processes).filter((info) => !isTerminal(info.state)).length : 0));
  const waiting = useKernelStore(selectPendingRequestCount);
  const denials = useKernelStore(selectDenialCount);
  // A number, not the list: a selector must return the same value while nothing changed.
  const downloadPercent = useKernelStore((state) => {
    if (view !== 'models') return null;
    const active = Object.values(state.models.downloads).filter(isDownloadActive);
    if (active.length === 0) return null;
    const received = active.reduce((sum, download) => sum + download.receivedBytes, 0);
    const total = active.reduce((sum, download) => sum + download.totalBytes, 0);
    return total > 0 ? Math.floor((100 * received) / total) : 0;
  });
  const noModel = useKernelStore((state) => view === 'models' && state.info !== null && state.info.model === null && state.models.loading === null);
  if (downloadPercent !== null) return <span className="badge">{downloadPercent}%</span>;
  if (noModel) return <span className="badge badge-warn">no model</span>;
  if (view === 'task-manager' && live > 0) return <span className="badge">{live}</span>;
  if (view === 'sandbox' && waiting > 0) return <span className="badge badge-warn">{waiting} waiting</span>;
  if (view === 'sandbox' && denials > 0) return <span className="badge badge-muted">{denials} denied</span>;
  return null;
}

/** The views as tabs (arrow keys move between them). A gallery card dropped on Task Manager installs it. */
function ViewTabs() {
  const view = useKernelStore(selectView);
  const showView = useKernelStore((state) => state.showView);
  const openInstall = useKernelStore((state) => state.openInstall);
  const refs = useRef<Partial<Record<ViewId, HTMLButtonElement | null>>>({});
  const [dropTarget, setDropTarget] = useState(false);
  useViewShortcuts(VIEW_ORDER, showView);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const index = VIEWS.findIndex((entry) => entry.id === view);
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0 && event.key !== 'Home' && event.key !== 'End') return;
    event.preventDefault();
    const nextIndex = event.key === 'Home' ? 0 : event.key === 'End' ? VIEWS.length - 1 : (index + step + VIEWS.length) % VIEWS.length;
    const next = VIEWS[nextIndex]!.id;
    showView(next);
    refs.current[next]?.focus();
  };
  const onDragOver = (event: DragEvent): void => {
    if (!isAgentDrag(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDropTarget(true);
  };
  const onDrop = (event: DragEvent): void => {
    setDropTarget(false);
    const agentId = droppedAgent(event);
    if (agentId === null) return;
    event.preventDefault();
    showView('task-manager');
    openInstall(agentId);
  };

  return (
    <div className="tabs" role="tablist" aria-label="Views" onKeyDown={onKeyDown}>
      {VIEWS.map((entry, index) => {
        const selected = entry.id === view;
        const accepts = entry.id === 'task-manager';
        return (
          <button
            key={entry.id}
            ref={(element) => {
              refs.current[entry.id] = element;
            }}
            type="button"
            role="tab"
            id={tabId(entry.id)}
            aria-selected={selected}
            aria-controls={panelId(entry.id)}
            aria-keyshortcuts={shortcutLabel(index).startsWith('⌘') ? `Meta+${index + 1}` : `Control+${index + 1}`}
            title={shortcutLabel(index)}
            tabIndex={selected ? 0 : -1}
            className={accepts && dropTarget ? 'tab dropping' : 'tab'}
            onClick={() => showView(entry.id)}
            onDragOver={accepts ? onDragOver : undefined}
            onDragLeave={accepts ? () => setDropTarget(false) : undefined}
            onDrop={accepts ? onDrop : undefined}
          >
            {entry.label}
            <TabBadge view={entry.id} />
          </button>
        );
      })}
    </div>
  );
}

export function AppHeader() {
  const info = useKernelStore(selectKernelInfo);
  const connection = useKernelStore(selectConnection);
  const theme = useKernelStore(selectTheme);
  const setTheme = useKernelStore((state) => state.setTheme);

  return (
    <header className="app-header">
      <h1>
        <span className={`dot dot-${connection.status}`} role="img" aria-label={`Connection ${connection.status}`} />
        <span className="app-title">
          Agentic Microkernel
          {info ? <small> v{info.version}</small> : null}
        </span>
      </h1>
      <ViewTabs />
      {/* Labelled by what a click does, so it reads right in either theme. */}
      <button type="button" className="quiet theme-switch" onClick={() => setTheme(theme === 'light' ? 'dark' : 'light')}>
        {theme === 'light' ? 'Switch to dark theme' : 'Switch to light theme'}
      </button>
    </header>
  );
}
