import { useEffect } from 'react';
import { useKernelStore } from './store/kernel-store.js';
import { selectConnection, selectTheme } from './store/selectors.js';
import { AppHeader } from './views/app-header.js';
import { ConsolePanel } from './views/console-panel.js';
import { ConnectionNotice, ErrorBanner } from './views/error-banner.js';
import { GalleryPanel } from './views/gallery-panel.js';
import { TaskManager } from './views/task-manager.js';
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

export function App({ onConnect, onReconnect }: AppProps) {
  useDocumentTheme();
  const connection = useKernelStore(selectConnection);
  const hasSnapshot = useKernelStore((state) => state.info !== null);

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
    <div className="app" data-connection={connection.status}>
      <AppHeader />
      <ConnectionNotice onReconnect={onReconnect} />
      <ErrorBanner />
      <main className="layout">
        <TaskManager />
        <ConsolePanel />
        <GalleryPanel />
      </main>
    </div>
  );
}
