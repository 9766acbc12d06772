import type { ModelInfo } from '../../../src-shared/index.js';
import type { ApiRegistry } from '../core/api-registry.js';
import type { ModelLibrary } from './model-library.js';

/** The models folder, catalogue and downloads; `useModel` swaps the loaded model (the kernel's). */
export function registerModelsApi(registry: ApiRegistry, library: ModelLibrary, useModel: (file: string) => Promise<ModelInfo>): void {
  registry.register({
    'models.list': () => library.overview(),
    'models.download': (params) => library.startDownload(params.id),
    'models.cancel': (params) => (library.cancel(params.id), { ok: true }),
    'models.import': (params) => library.import(params.path),
    'models.delete': async (params) => (await library.delete(params.file), { ok: true }),
    'models.load': (params) => useModel(params.file),
  });
}
