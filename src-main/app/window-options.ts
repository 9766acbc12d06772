/**
 * The window's settings as plain data, apart from the Electron calls that apply them, so that
 * they are checked under Node (window-options.test.ts) where there is no Electron binary.
 */
import type { MenuItemConstructorOptions, WebPreferences } from 'electron';
import { join } from 'node:path';

/** Electron's security checklist for the one window; DevTools only in a development run. */
export function windowWebPreferences(appRoot: string, packaged: boolean): WebPreferences {
  return {
    preload: join(appRoot, 'dist', 'app', 'preload.cjs'),
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
    // A packaged app has no DevTools at all: no menu entry, no shortcut, no openDevTools.
    devTools: !packaged,
  };
}

/** The application menu; the DevTools toggle exists only where DevTools do (development). */
export function menuTemplate(options: { platform: NodeJS.Platform; devTools: boolean; focus: () => void }): MenuItemConstructorOptions[] {
  const develop: MenuItemConstructorOptions[] = options.devTools ? [{ role: 'toggleDevTools', accelerator: 'CmdOrCtrl+Alt+I' }] : [];
  return [
    ...(options.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ role: 'quit' }] },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: 'View',
      submenu: [
        { role: 'reload', accelerator: 'CmdOrCtrl+R' },
        ...develop,
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { label: 'Window', submenu: [{ role: 'minimize' }, { label: 'Focus', accelerator: 'CmdOrCtrl+Shift+A', click: options.focus }] },
  ];
}

/** Directives a `<meta>` policy cannot carry (the browser ignores them there, with a console warning). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'report-to', 'sandbox']);

/**
 * The policy the renderer's HTML carries in its own `<meta http-equiv="Content-Security-Policy">`:
 * the served header's, less what only a header can say. The page is then held to it however it
 * is loaded (file://, a proxy that drops headers, a saved copy), not only when the header arrives.
 */
export function metaContentSecurityPolicy(headerPolicy: string): string {
  return headerPolicy
    .split(';')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '' && !HEADER_ONLY.has(directive.split(/\s+/)[0]?.toLowerCase() ?? ''))
    .join('; ');
}
