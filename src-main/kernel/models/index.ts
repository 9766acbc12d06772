export { ModelLibrary, type ModelLibraryOptions } from './model-library.js';
export { DEFAULT_MAX_UPLOAD_BYTES, ModelManager } from './model-manager.js';
export { downloadModel, type DownloadOptions } from './model-downloader.js';
export { registerModelsApi } from './models-api.js';
