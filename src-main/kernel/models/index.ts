export { ModelLibrary, type ModelLibraryOptions } from './model-library.js';
export { ModelManager } from './model-manager.js';
export { downloadModel, type DownloadOptions } from './model-downloader.js';
