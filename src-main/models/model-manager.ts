import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import type { CatalogModel, DownloadProgress, InstalledModel, ModelCatalog } from '../../src-shared/index.js';
import { ModelCatalog as ModelCatalogSchema, describeIssues } from '../../src-shared/index.js';
import { inspectModelFile, KernelError } from '../kernel/index.js';
import { downloadModel } from './model-downloader.js';

/** The models folder of the data directory: what is installed, downloads, imports and deletes. */
export class ModelManager {
  readonly directory: string;
  readonly catalog: ModelCatalog;

  constructor(dataDir: string, catalogPath: string) {
    this.directory = join(dataDir, 'models');
    const parsed = ModelCatalogSchema.safeParse(JSON.parse(readFileSync(catalogPath, 'utf8')));
    if (!parsed.success) throw new KernelError('INVALID_REQUEST', describeIssues(parsed.error, catalogPath));
    this.catalog = parsed.data;
  }

  private entry(id: string): CatalogModel {
    const model = this.catalog.models.find((candidate) => candidate.id === id);
    if (!model) throw new KernelError('MODEL_NOT_FOUND', `no model "${id}" in the catalogue (${this.catalog.models.map((m) => m.id).join(', ')})`);
    return model;
  }

  async installed(): Promise<InstalledModel[]> {
    await mkdir(this.directory, { recursive: true });
    const files = (await readdir(this.directory)).filter((file) => file.endsWith('.gguf')).sort();
    return Promise.all(
      files.map(async (file) => ({
        file,
        path: join(this.directory, file),
        sizeBytes: (await stat(join(this.directory, file))).size,
        catalogId: this.catalog.models.find((model) => model.file === file)?.id ?? null,
      })),
    );
  }

  /** Downloads a catalogue model (resuming a partial one); returns its path. */
  async download(id: string, onProgress?: (progress: DownloadProgress) => void, signal?: AbortSignal): Promise<string> {
    const model = this.entry(id);
    await mkdir(this.directory, { recursive: true });
    const target = join(this.directory, model.file);
    const result = await downloadModel({
      id,
      url: model.url,
      target,
      expectedBytes: model.sizeBytes,
      sha256: model.sha256,
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    return result.path;
  }

  /** Copies a local GGUF in (checked first); returns its new path. */
  async import(source: string): Promise<string> {
    const facts = await inspectModelFile(source);
    await mkdir(this.directory, { recursive: true });
    const target = join(this.directory, basename(facts.path));
    const temporary = `${target}.importing`;
    await copyFile(facts.path, temporary);
    await rename(temporary, target);
    return target;
  }

  /** Deletes an installed model to reclaim disk; never one outside the models folder, nor the one in use. */
  async delete(file: string, inUse: string | null): Promise<void> {
    const path = resolve(this.directory, file);
    if (!path.startsWith(this.directory + sep) || !path.endsWith('.gguf')) throw new KernelError('INVALID_REQUEST', `${file} is not a model in ${this.directory}`);
    if (inUse && resolve(inUse) === path) throw new KernelError('INVALID_STATE', `${file} is the model in use; load another one first`);
    await rm(path);
    await rm(`${path}.partial`, { force: true });
    await rm(`${path}.partial.json`, { force: true });
  }
}
