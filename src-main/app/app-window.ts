import { BrowserWindow, Menu, Notification, app, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../server/static-files.js';

/** Electron's security checklist, for every web contents the app creates. */
export function hardenSessions(appRoot: string): void {
  session.defaultSession.webRequest.onHeadersReceived((details, respond) => {
    respond({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, decide) => decide(false));
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      // Links to the web open in the user's browser, never in the app.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith(pathToFileURL(appRoot).href)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

export function createMainWindow(appRoot: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    title: 'Agentic Microkernel',
    backgroundColor: '#111418',
    show: false,
    webPreferences: {
      preload: join(appRoot, 'dist', 'app', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadFile(join(appRoot, 'dist', 'renderer', 'index.html'));
  return window;
}

export function installMenu(window: BrowserWindow): void {
  const template: Electron.MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ role: 'quit' }] },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: 'View',
      submenu: [
        { role: 'reload', accelerator: 'CmdOrCtrl+R' },
        { role: 'toggleDevTools', accelerator: 'CmdOrCtrl+Alt+I' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { label: 'Window', submenu: [{ role: 'minimize' }, { label: 'Focus', accelerator: 'CmdOrCtrl+Shift+A', click: () => window.focus() }] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

/** An OS notification when an agent asks for a grant while the window is in the background. */
export function notifyGrantRequest(window: BrowserWindow, agentName: string, summary: string): void {
  if (window.isFocused() || !Notification.isSupported()) return;
  const notification = new Notification({ title: `${agentName} asks for permission`, body: `It wants to ${summary}. Open Agentic Microkernel to allow or deny.` });
  notification.on('click', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  notification.show();
}
