import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { createKernelBridge } from './kernel-bridge.js';
import { kernelStore } from './store/kernel-store.js';
import { savedView } from './store/saved-view.js';
import type { Theme } from './store/ui.slice.js';
import { connectorFor } from './transport/kernel-connector.js';
import './styles/base.css';
import './styles/shell.css';
import './styles/tables.css';
import './styles/task-manager.css';
import './styles/sandbox.css';
import './styles/kv-memory.css';
import './styles/dialogs.css';
import './styles/models.css';

/** The theme the user picked last time, else the system's preference. */
function savedTheme(): Theme {
  try {
    const saved = localStorage.getItem('amk.theme');
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    // Storage can be off: fall back to the system preference.
  }
  return window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

kernelStore.getState().setTheme(savedTheme());
const view = (() => {
  try {
    return savedView(localStorage);
  } catch {
    return null;
  }
})();
if (view) kernelStore.getState().showView(view);
const bridge = createKernelBridge(kernelStore, { connector: connectorFor(window) });
bridge.start();
window.addEventListener('pagehide', () => bridge.dispose());
window.addEventListener('pageshow', (event) => {
  // Back from the back-forward cache: the old socket is gone.
  if (event.persisted) void bridge.reconnect();
});

createRoot(root).render(
  <StrictMode>
    <App onConnect={(token) => void bridge.connect(token)} onReconnect={() => void bridge.reconnect()} />
  </StrictMode>,
);
