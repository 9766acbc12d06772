import type { DownloadProgress, InstalledModel, KernelEvent, ModelsOverview } from '../../src-shared/index.js';
import { toModelFileName } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/** A file the user picked or dropped, on its way into the models folder. */
export interface ModelUpload {
  name: string;
  sentBytes: number;
  totalBytes: number;
  state: 'sending' | 'checking' | 'done' | 'failed';
  error?: string;
}

/** How this page hands a picked or dropped file to the kernel: by path (Electron) or by upload (browser). */
export type ModelFileImporter = (file: File, onProgress: (sentBytes: number) => void) => Promise<InstalledModel>;

export interface ModelsState {
  /** The last models.list read; null until the Models view first asks. */
  overview: ModelsOverview | null;
  /** Downloads by catalogue id: live progress, and the last state of finished or failed ones. */
  downloads: Readonly<Record<string, DownloadProgress>>;
  /** The model llama.cpp is reading now, and how far. */
  loading: { path: string; progress: number } | null;
  uploads: readonly ModelUpload[];
}

export interface ModelsSlice {
  models: ModelsState;
  importer: ModelFileImporter | null;
  setImporter(importer: ModelFileImporter | null): void;
  refreshModels(): Promise<void>;
  downloadModel(id: string): Promise<void>;
  cancelDownload(id: string): Promise<void>;
  loadModel(file: string): Promise<void>;
  deleteModel(file: string): Promise<boolean>;
  /** Imports a file the user picked or dropped; refuses what is not a .gguf before sending anything. */
  importModelFile(file: File): Promise<void>;
}

/** Still moving: downloading, waiting to retry, or being checked. */
export function isDownloadActive(download: DownloadProgress | undefined): download is DownloadProgress & { state: 'downloading' | 'retrying' | 'verifying' } {
  return download !== undefined && (download.state === 'downloading' || download.state === 'retrying' || download.state === 'verifying');
}

export const emptyModels: ModelsState = { overview: null, downloads: {}, loading: null, uploads: [] };

export function applyModelsEvent(models: ModelsState, event: KernelEvent): ModelsState {
  switch (event.type) {
    case 'model.download':
      return { ...models, downloads: { ...models.downloads, [event.progress.id]: event.progress } };
    case 'model.loading':
      return { ...models, loading: event.progress >= 1 ? null : { path: event.path, progress: event.progress } };
    case 'model.loaded':
      return { ...models, loading: null, overview: models.overview && { ...models.overview, inUse: event.model.path, loading: null } };
    case 'model.failed':
      return { ...models, loading: null, overview: models.overview && { ...models.overview, loading: null } };
    case 'models.changed':
      return { ...models, overview: models.overview && { ...models.overview, installed: event.installed, inUse: event.inUse } };
    default:
      return models;
  }
}

export const createModelsSlice: SliceCreator<ModelsSlice> = (set, get) => {
  const updateUpload = (name: string, change: Partial<ModelUpload>): void =>
    set(
      (state) => ({ models: { ...state.models, uploads: state.models.uploads.map((upload) => (upload.name === name ? { ...upload, ...change } : upload)) } }),
      false,
      'models/upload',
    );
  return {
    models: emptyModels,
    importer: null,
    setImporter: (importer) => set({ importer }, false, 'models/importer'),
    refreshModels: async () => {
      const overview = await get().callKernel('models.list', {});
      if (!overview) return;
      set(
        (state) => ({
          models: {
            ...state.models,
            overview,
            downloads: { ...state.models.downloads, ...Object.fromEntries(overview.downloads.map((download) => [download.id, download])) },
          },
        }),
        false,
        'models/overview',
      );
    },
    downloadModel: async (id) => {
      const progress = await get().callKernel('models.download', { id });
      if (progress) set((state) => ({ models: { ...state.models, downloads: { ...state.models.downloads, [id]: progress } } }), false, 'models/download');
    },
    cancelDownload: async (id) => {
      await get().callKernel('models.cancel', { id });
    },
    loadModel: async (file) => {
      await get().callKernel('models.load', { file });
      await get().refreshModels();
    },
    deleteModel: async (file) => {
      const done = await get().callKernel('models.delete', { file });
      if (done) {
        // A discarded partial takes the story of its download with it.
        set(
          (state) => ({ models: { ...state.models, downloads: Object.fromEntries(Object.entries(state.models.downloads).filter(([, download]) => download.file !== file)) } }),
          false,
          'models/deleted',
        );
        // The paused list is only in the overview: read it again.
        await get().refreshModels();
      }
      return done !== undefined;
    },
    importModelFile: async (file) => {
      const importer = get().importer;
      if (!file.name.toLowerCase().endsWith('.gguf')) {
        get().raiseError(new Error(`${file.name} is not a .gguf model file`));
        return;
      }
      const installedAs = toModelFileName(file.name);
      if (get().models.overview?.installed.some((model) => model.file === installedAs)) {
        // Said before sending anything: a refusal after gigabytes of upload reads as a broken connection.
        get().raiseError(new Error(`${installedAs} is already installed; delete it first to replace it`));
        return;
      }
      if (!importer) {
        get().raiseError(new Error('this window cannot import files; use `amk models import FILE` on the kernel machine'));
        return;
      }
      const upload: ModelUpload = { name: file.name, sentBytes: 0, totalBytes: file.size, state: 'sending' };
      set((state) => ({ models: { ...state.models, uploads: [...state.models.uploads.filter((entry) => entry.name !== file.name), upload] } }), false, 'models/upload-started');
      try {
        await importer(file, (sentBytes) => updateUpload(file.name, { sentBytes, state: sentBytes >= file.size ? 'checking' : 'sending' }));
        updateUpload(file.name, { sentBytes: file.size, state: 'done' });
        await get().refreshModels();
      } catch (error) {
        updateUpload(file.name, { state: 'failed', error: error instanceof Error ? error.message : String(error) });
        get().raiseError(error);
      }
    },
  };
};
