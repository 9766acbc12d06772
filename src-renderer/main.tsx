import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { createKernelBridge } from './kernel-bridge.js';
import { kernelStore } from './store/kernel-store.js';
import type { Theme } from './store/ui.slice.js';
import './styles.css';

function savedTheme(): Theme {
  try {
    return localStorage.getItem('amk.theme') === 'light' ? 'light' : 'dark';
  } catch {
    return 'dark';
  }
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

kernelStore.getState().setTheme(savedTheme());
const bridge = createKernelBridge(kernelStore, { location: window.location });
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
