import { useEffect } from 'react';
import { useKernelStore } from './store/kernel-store.js';
import { usePersistedView } from './store/saved-view.js';
import { selectCurrentRequest } from './store/sandbox.selectors.js';
import { selectConnection, selectTheme, selectView } from './store/selectors.js';
import type { ViewId } from './store/ui.slice.js';
import { AppHeader, panelId, tabId } from './views/app-header.js';
import { GrantDialog } from './views/dialogs/grant-dialog.js';
import { ToolReviewDialog } from './views/dialogs/tool-review-dialog.js';
import { ConnectionNotice, ErrorBanner } from './views/error-banner.js';
import { GalleryView } from './views/gallery/gallery-view.js';
import { InstallDialog } from './views/gallery/install-dialog.js';
import { KvMemoryView } from './views/memory/kv-memory-view.js';
import { ModelsView } from './views/models/models-view.js';
import { SandboxView } from './views/sandbox/sandbox-view.js';
import { StatusBar } from './views/status-bar.js';
import { KillDialog } from './views/task-manager/kill-dialog.js';
import { ReniceDialog } from './views/task-manager/renice-dialog.js';
import { TaskManagerView } from './views/task-manager/task-manager-view.js';
import { TokenGate } from './views/token-gate.js';

export interface AppProps {
  onConnect: (token: string) => void;
  onReconnect: () => void;
}

function useDocumentTheme(): void {
  const theme = useKernelStore(selectTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    try {
      localStorage.setItem('amk.theme', theme);
    } catch {
      // Storage can be off; the theme then lasts for this page only.
    }
  }, [theme]);
}

function CurrentView({ view }: { view: ViewId }) {
  switch (view) {
    case 'task-manager':
      return <TaskManagerView />;
    case 'kv-memory':
      return <KvMemoryView />;
    case 'sandbox':
      return <SandboxView />;
    case 'gallery':
      return <GalleryView />;
    case 'models':
      return <ModelsView />;
  }
}

/** localStorage, or null where the page may not use it (it throws when storage is off). */
function pageStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function App({ onConnect, onReconnect }: AppProps) {
  useDocumentTheme();
  usePersistedView(pageStorage());
  const connection = useKernelStore(selectConnection);
  const hasSnapshot = useKernelStore((state) => state.info !== null);
  const view = useKernelStore(selectView);
  const modalOpen = useKernelStore((state) => state.installing !== null || state.renicing !== null || state.killing !== null || state.toolPackages.review !== null || selectCurrentRequest(state) !== undefined);

  if (connection.status === 'needs-token' || connection.status === 'failed') {
    return <TokenGate onConnect={onConnect} />;
  }
  if (!hasSnapshot) {
    return (
      <main className="loading" aria-busy="true">
        <p>{connection.status === 'closed' ? connection.reason : 'Connecting to the kernel…'}</p>
        {connection.status === 'closed' ? (
          <button type="button" onClick={onReconnect}>
            Reconnect
          </button>
        ) : null}
      </main>
    );
  }
  return (
    <>
      <div className="app" data-connection={connection.status} inert={modalOpen}>
        <AppHeader />
        <ConnectionNotice onReconnect={onReconnect} />
        <ErrorBanner />
        <main className="view" role="tabpanel" id={panelId(view)} aria-labelledby={tabId(view)}>
          <CurrentView view={view} />
        </main>
        <StatusBar />
      </div>
      <InstallDialog />
      <ReniceDialog />
      <KillDialog />
      <ToolReviewDialog />
      <GrantDialog />
    </>
  );
}
