import type { DownloadProgress } from '../../src-shared/index.js';
import { KernelError, type Kernel } from '../kernel/index.js';

export type ModelOutcome =
  /** A model was already loaded (configured, or installed earlier). */
  | { kind: 'ready' }
  /** The catalogue's default was downloaded (or a partial one finished) and loaded. */
  | { kind: 'downloaded'; file: string }
  /** The app runs without a model; the reason is for a dialog. */
  | { kind: 'no-model'; title: string; reason: string }
  /** The user stopped the download in the Models screen: they know, no dialog. */
  | { kind: 'cancelled' };

/**
 * What the desktop app does after the kernel boots: when no model was configured or installed,
 * fetch the catalogue's default (resuming a partial file) and load it. The kernel serves the
 * whole time, so the window and its models screen show the download. A model that was configured
 * but is missing or damaged is reported, not replaced behind the user's back.
 */
export async function provideModel(kernel: Kernel, onProgress?: (progress: DownloadProgress) => void): Promise<ModelOutcome> {
  const info = kernel.info();
  if (info.model) return { kind: 'ready' };
  if (kernel.config.modelPath) {
    return { kind: 'no-model', title: 'The model could not be loaded', reason: `${info.modelError ?? 'unknown reason'}\n\nOpen Models to load or import another one.` };
  }
  const defaultId = kernel.models.manager.catalog.default;
  if (!defaultId) return { kind: 'no-model', title: 'No model is installed', reason: 'The catalogue names no default model. Import a GGUF file in Models.' };
  const entry = kernel.models.manager.entry(defaultId);
  const stop = onProgress
    ? kernel.bus.on((event) => {
        if (event.type === 'model.download' && event.progress.id === defaultId) onProgress(event.progress);
      })
    : () => {};
  try {
    kernel.models.startDownload(defaultId);
    await kernel.models.whenDownloaded(defaultId);
  } catch (error) {
    if (kernel.info().model) return { kind: 'ready' };
    if (error instanceof KernelError && error.code === 'INVALID_STATE' && /cancelled/.test(error.message)) return { kind: 'cancelled' };
    return {
      kind: 'no-model',
      title: 'The default model could not be downloaded',
      reason: `${(error as Error).message}\n\nThe app works without a model until one is loaded: the download resumes where it stopped when you start it again in Models (or on the next start), or import a GGUF file there.`,
    };
  } finally {
    stop();
  }
  // The user may have loaded a model of their own while this one downloaded: theirs stays.
  if (kernel.info().model) return { kind: 'ready' };
  try {
    await kernel.useModel(entry.file);
  } catch (error) {
    return { kind: 'no-model', title: 'The downloaded model could not be loaded', reason: (error as Error).message };
  }
  return { kind: 'downloaded', file: entry.file };
}
