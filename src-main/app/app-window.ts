import { BrowserWindow, Menu, Notification, app, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../server/static-files.js';
import { checkExternalLink, isInsideFolder } from './navigation-policy.js';
import { menuTemplate, windowWebPreferences } from './window-options.js';

/** Electron's security checklist, for every web contents the app creates. */
export function hardenSessions(appRoot: string): void {
  session.defaultSession.webRequest.onHeadersReceived((details, respond) => {
    respond({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, decide) => decide(false));
  const rendererDir = join(appRoot, 'dist', 'renderer');
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      // Links to the sites the UI links to open in the user's browser; nothing opens in the app.
      const link = checkExternalLink(url);
      if (link.ok) shell.openExternal(link.url).catch((error: Error) => console.warn(`could not open ${link.url}: ${error.message}`));
      else console.warn(`refused to open ${url.slice(0, 200)}: ${link.reason}`);
      return { action: 'deny' };
    });
    // The window shows the renderer's own files and nothing else (whole path segments compared).
    contents.on('will-navigate', (event, url) => {
      if (!isInsideFolder(url, rendererDir)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isInsideFolder(url, rendererDir)) event.preventDefault();
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
    webPreferences: windowWebPreferences(appRoot, app.isPackaged),
  });
  window.once('ready-to-show', () => window.show());
  void window.loadFile(join(appRoot, 'dist', 'renderer', 'index.html'));
  return window;
}

export function installMenu(window: BrowserWindow): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({ platform: process.platform, devTools: !app.isPackaged, focus: () => window.focus() })));
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
