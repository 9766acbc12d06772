/**
 * The desktop app's main process: a thin shell around the kernel. It boots the kernel (fetching
 * the default model on first run, with progress), opens the task manager, bridges the typed kernel
 * API over IPC (validated here), and owns the lifecycle: one instance, and a quit that lets every
 * agent stop at a step boundary so the next start resumes it.
 */
import { app, type BrowserWindow, dialog, ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { DownloadProgress, KernelEvent } from '../../src-shared/index.js';
import { BRIDGE_CHANNELS } from '../../src-shared/index.js';
import { Kernel } from '../kernel/index.js';
import { serveKernel, type ServedKernel } from '../server/index.js';
import { installLastResort } from '../process-guard.js';
import { packageRoot, resolveKernelConfig } from '../settings.js';
import { provideModel } from './first-run.js';
import { createMainWindow, hardenSessions, installMenu, notifyGrantRequest } from './app-window.js';
import { handleBridgeRequest, isTrustedSender } from './ipc-guard.js';

const appRoot = packageRoot();
let kernel: Kernel | null = null;
let served: ServedKernel | null = null;
let window: BrowserWindow | null = null;
/** The window is up before the kernel: its first calls wait for the boot instead of failing. */
let kernelBooted: (kernel: Kernel | null) => void = () => {};
const kernelReady = new Promise<Kernel | null>((resolve) => (kernelBooted = resolve));
// A bug that escapes every boundary's own handling is logged with a prefix; a rejection does not stop the agents.
installLastResort('app main', () => kernel?.flushJournal());

/** Taskbar progress and a title note (fraction 2: size unknown); null puts both back. */
function showTaskbarProgress(fraction: number | null, note?: string): void {
  if (!window || window.isDestroyed()) return;
  window.setProgressBar(fraction ?? -1);
  window.setTitle(fraction === null || !note ? 'Agentic Microkernel' : `Agentic Microkernel: ${note}`);
}

/** The default model's download on the taskbar; the window's Models screen shows the rest. */
function showDownload(progress: DownloadProgress): void {
  if (progress.state === 'done' || progress.state === 'failed') return showTaskbarProgress(null);
  const speed = `${(progress.bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  const left = progress.secondsLeft === null ? '' : `, ${Math.ceil(progress.secondsLeft)} s left`;
  showTaskbarProgress(progress.totalBytes > 0 ? progress.receivedBytes / progress.totalBytes : 2, `downloading ${progress.id} (${progress.state}, ${speed}${left})`);
}

async function boot(): Promise<void> {
  // The kernel boots with or without a model; the window waits for it (whatever the outcome, it is told).
  try {
    const config = resolveKernelConfig({});
    // The window cannot hear the kernel until it has booted: the model's loading shows on the taskbar.
    kernel = await Kernel.boot(config, (event) => {
      if (event.type !== 'model.loading') return;
      showTaskbarProgress(event.progress >= 1 ? null : event.progress, `loading the model (${Math.round(event.progress * 100)}%)`);
    });
  } finally {
    kernelBooted(kernel);
  }
  kernel.bus.on((event) => {
    if (event.type === 'grant.requested' && event.request.count === 1 && window) notifyGrantRequest(window, event.request.agentName, event.request.summary);
  });
  // The same loopback API as `amk serve`, so `amk ps`, `amk grants` and `amk mcp` reach the desktop app too.
  served = await serveKernel({ name: 'app main', kernel, port: 0 });
  const outcome = await provideModel(kernel, showDownload);
  showTaskbarProgress(null);
  if (outcome.kind === 'no-model') await dialog.showMessageBox({ type: 'warning', message: outcome.title, detail: outcome.reason });
}

function bridgeIpc(): void {
  const streams = new Map<number, () => void>();
  const trusted = (event: IpcMainEvent | IpcMainInvokeEvent): boolean => isTrustedSender(event.senderFrame?.url ?? '', appRoot);
  ipcMain.handle(BRIDGE_CHANNELS.invoke, async (event, payload: unknown) => {
    const url = event.senderFrame?.url ?? '';
    // Untrusted senders are refused at once; the app's own page waits for the kernel to boot.
    return handleBridgeRequest(isTrustedSender(url, appRoot) ? await kernelReady : null, url, appRoot, payload);
  });
  ipcMain.on(BRIDGE_CHANNELS.subscribe, (event) => {
    if (!trusted(event)) return;
    const contents = event.sender;
    void kernelReady.then((booted) => {
      if (booted && !contents.isDestroyed() && !streams.has(contents.id)) streamEvents(booted, contents);
    });
  });
  ipcMain.on(BRIDGE_CHANNELS.unsubscribe, (event) => streams.get(event.sender.id)?.());

  function streamEvents(kernel: Kernel, contents: WebContents): void {
    // The window is the approver of grant requests while it is open.
    const detach = kernel.sandbox.broker.attachApprover();
    const stream = kernel.bus.stream();
    void (async () => {
      for await (const kernelEvent of stream) {
        if (contents.isDestroyed()) break;
        contents.send(BRIDGE_CHANNELS.event, kernelEvent satisfies KernelEvent);
      }
    })();
    const stop = (): void => {
      stream.close();
      detach();
      streams.delete(contents.id);
    };
    streams.set(contents.id, stop);
    contents.once('destroyed', stop);
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  app
    .whenReady()
    .then(async () => {
      hardenSessions(appRoot);
      bridgeIpc();
      window = createMainWindow(appRoot);
      installMenu(window);
      await boot();
    })
    .catch((error: Error) => dialog.showErrorBox('Agentic Microkernel could not start', error.message));

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !kernel) return;
    // Agents snapshot themselves after each step; disposing stops them without an exit, so the next start resumes them.
    event.preventDefault();
    quitting = true;
    const stopping = kernel;
    kernel = null;
    void (served?.close() ?? Promise.resolve())
      .then(() => stopping.dispose())
      .finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
