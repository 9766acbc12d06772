import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DownloadProgress, GpuStatus, InstalledModel, KernelEventBody, ModelsOverview } from '../../../src-shared/index.js';
import { toModelFileName } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';
import { KernelError, toErrorPayload } from '../core/kernel-error.js';
import { detectGpu, type GpuChoice } from '../llm/index.js';
import { ModelManager } from './model-manager.js';

export interface ModelLibraryOptions {
  dataDir: string;
  /** The catalogue of recommended models (assets/models.json); null for none. */
  catalogPath: string | null;
  gpu: GpuChoice;
  emit: (body: KernelEventBody) => void;
  /** The loaded model's path, and the one being loaded, as the kernel knows them. */
  modelState: () => { inUse: string | null; loading: string | null };
  /** The cap on one upload; DEFAULT_MAX_UPLOAD_BYTES when unset. */
  maxUploadBytes?: number;
}

interface ActiveDownload {
  progress: DownloadProgress;
  controller: AbortController;
  done: Promise<string>;
}

/**
 * The kernel's models: the catalogue, the models folder, downloads that run in the background
 * and report progress as events, imports, uploads and deletes. Loading a model is the kernel's
 * (it owns the model's lifetime); this remembers the choice for the next start.
 */
export class ModelLibrary implements Disposable {
  readonly manager: ModelManager;
  private readonly downloads = new Map<string, ActiveDownload>();
  private gpu: Promise<GpuStatus> | null = null;

  constructor(private readonly options: ModelLibraryOptions) {
    this.manager = new ModelManager(options.dataDir, options.catalogPath, options.maxUploadBytes);
  }

  async overview(): Promise<ModelsOverview> {
    const { inUse, loading } = this.options.modelState();
    this.gpu ??= detectGpu(this.options.gpu);
    return {
      directory: this.manager.directory,
      defaultId: this.manager.catalog.default || null,
      catalog: this.manager.catalog.models,
      installed: await this.manager.installed(),
      inUse,
      loading,
      downloads: [...this.downloads.values()].map((download) => download.progress),
      paused: (await this.manager.partials()).filter((partial) => !this.downloads.has(partial.id)),
      gpu: await this.gpu,
    };
  }

  /** Starts a catalogue download in the background, or joins the one under way. */
  startDownload(id: string): DownloadProgress {
    const existing = this.downloads.get(id);
    if (existing) return existing.progress;
    const model = this.manager.entry(id);
    if (existsSync(this.manager.pathOf(model.file))) throw new KernelError('INVALID_STATE', `${model.file} is already installed`);
    const controller = new AbortController();
    const progress: DownloadProgress = {
      id,
      file: model.file,
      receivedBytes: 0,
      totalBytes: model.sizeBytes,
      bytesPerSecond: 0,
      secondsLeft: null,
      state: 'downloading',
      attempt: 1,
    };
    const download: ActiveDownload = { progress, controller, done: Promise.resolve('') };
    const report = (next: DownloadProgress): void => {
      download.progress = next;
      this.options.emit({ type: 'model.download', progress: next });
    };
    download.done = this.manager.download(id, report, controller.signal).then(
      async (path) => {
        this.downloads.delete(id);
        await this.announce();
        return path;
      },
      (error: unknown) => {
        this.downloads.delete(id);
        if (download.progress.state !== 'failed') {
          const message = toErrorPayload(error).message;
          this.options.emit({ type: 'model.download', progress: { ...download.progress, state: 'failed', bytesPerSecond: 0, secondsLeft: null, error: message } });
        }
        throw error;
      },
    );
    // The caller may never wait: the failure is reported as an event, not left unhandled.
    download.done.catch(() => {});
    this.downloads.set(id, download);
    this.options.emit({ type: 'model.download', progress });
    return progress;
  }

  /** Resolves to the downloaded file's path once a started download is in place. */
  whenDownloaded(id: string): Promise<string> {
    const download = this.downloads.get(id);
    if (!download) throw new KernelError('INVALID_STATE', `no download of ${id} is under way`);
    return download.done;
  }

  cancel(id: string): void {
    const download = this.downloads.get(id);
    if (!download) throw new KernelError('INVALID_STATE', `no download of ${id} is under way`);
    download.controller.abort();
  }

  async import(source: string): Promise<InstalledModel> {
    this.refuseIfDownloading(toModelFileName(basename(source)));
    const path = await this.manager.import(source);
    return this.installedAt(path);
  }

  async receive(file: string, body: AsyncIterable<Uint8Array>, declaredBytes?: number): Promise<InstalledModel> {
    this.refuseIfDownloading(toModelFileName(file));
    const path = await this.manager.receive(file, body, declaredBytes);
    return this.installedAt(path);
  }

  async delete(file: string): Promise<void> {
    const { inUse, loading } = this.options.modelState();
    this.refuseIfDownloading(file);
    if (loading && this.manager.pathOf(file) === loading) throw new KernelError('INVALID_STATE', `${file} is being loaded`);
    await this.manager.delete(file, inUse);
    await this.announce();
  }

  /** The download's rename would replace whatever took its name meanwhile. */
  private refuseIfDownloading(file: string): void {
    const active = [...this.downloads.values()].find((download) => download.progress.file === file);
    if (active) throw new KernelError('INVALID_STATE', `${file} is downloading; cancel the download first`);
  }

  /** Remembers the model for the next start, in `<data dir>/config.json` (other settings kept). */
  remember(path: string): void {
    const configPath = join(this.options.dataDir, 'config.json');
    let settings: Record<string, unknown> = {};
    if (existsSync(configPath)) {
      try {
        settings = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
      } catch {
        // A damaged settings file is the user's: leave it alone rather than overwrite it.
        return;
      }
    }
    settings.model = path;
    writeFileSync(`${configPath}.tmp`, JSON.stringify(settings, null, 2) + '\n');
    renameSync(`${configPath}.tmp`, configPath);
  }

  /** Tells every page what the models folder holds now. */
  async announce(): Promise<InstalledModel[]> {
    const installed = await this.manager.installed();
    this.options.emit({ type: 'models.changed', installed, inUse: this.options.modelState().inUse });
    return installed;
  }

  private async installedAt(path: string): Promise<InstalledModel> {
    const model = (await this.announce()).find((candidate) => candidate.path === path);
    if (!model) throw new KernelError('INTERNAL', `${path} vanished right after it was installed`);
    return model;
  }

  /** Stops downloads; their partial files stay, so the next start resumes them. */
  async dispose(): Promise<void> {
    const pending = [...this.downloads.values()];
    for (const download of pending) download.controller.abort();
    await Promise.allSettled(pending.map((download) => download.done));
  }
}
