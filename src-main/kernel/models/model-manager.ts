import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CatalogModel, DownloadProgress, InstalledModel, ModelCatalog } from '../../../src-shared/index.js';
import { ModelCatalog as ModelCatalogSchema, describeIssues, toModelFileName } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { describeModelFile } from '../llm/index.js';
import { downloadModel } from './model-downloader.js';

const MODEL_FILE_NAME = /^[\w][\w.-]{0,200}\.gguf$/;

/** The default cap on one upload: larger than any model a desktop runs, small enough to stop a disk being filled by mistake. */
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 ** 3;

function uploadTooLarge(file: string, limit: number, bytes: number | null): KernelError {
  const size = bytes === null ? 'more than that' : `${bytes} bytes`;
  return new KernelError('INVALID_REQUEST', `the upload of ${file} is over the ${limit}-byte limit (${size}; the maxUploadBytes setting); nothing was installed`, { limitBytes: limit });
}

/**
 * Passes a body through until it passes `limit` bytes, then fails without reading more. The
 * body's own iterator is not closed: closing a request would reset the connection before the
 * refusal is sent; the server closes it after its reply instead.
 */
async function* upTo(body: AsyncIterable<Uint8Array>, limit: number, file: string): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  let total = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    total += next.value.length;
    if (total > limit) throw uploadTooLarge(file, limit, null);
    yield next.value;
  }
}

/**
 * Moves a checked file to its name only if nobody took the name meanwhile (two uploads of one
 * name, an import beside a download): a hard link fails where a rename would overwrite.
 */
async function placeExclusively(temporary: string, target: string): Promise<void> {
  try {
    await link(temporary, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new KernelError('INVALID_STATE', `${basename(target)} is already installed; delete it first to replace it`);
    throw error;
  }
  await rm(temporary, { force: true });
}

const EMPTY_CATALOG: ModelCatalog = { default: '', models: [] };

function readCatalog(catalogPath: string | null): ModelCatalog {
  if (catalogPath === null) return EMPTY_CATALOG;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(catalogPath, 'utf8'));
  } catch (error) {
    throw new KernelError('INVALID_REQUEST', `the model catalogue ${catalogPath} cannot be read: ${(error as Error).message}`);
  }
  const parsed = ModelCatalogSchema.safeParse(raw);
  if (!parsed.success) throw new KernelError('INVALID_REQUEST', describeIssues(parsed.error, catalogPath));
  return parsed.data;
}

/** The models folder of the data directory: what is installed, downloads, imports, uploads and deletes. */
export class ModelManager {
  readonly directory: string;
  readonly catalog: ModelCatalog;

  constructor(
    dataDir: string,
    catalogPath: string | null,
    readonly maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES,
  ) {
    this.directory = join(dataDir, 'models');
    this.catalog = readCatalog(catalogPath);
  }

  entry(id: string): CatalogModel {
    const model = this.catalog.models.find((candidate) => candidate.id === id);
    if (!model) throw new KernelError('MODEL_NOT_FOUND', `no model "${id}" in the catalogue (${this.catalog.models.map((m) => m.id).join(', ') || 'it is empty'})`);
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

  /** Catalogue downloads with a partial file on disk: how far each got. */
  async partials(): Promise<{ id: string; receivedBytes: number; totalBytes: number }[]> {
    const found = [];
    for (const model of this.catalog.models) {
      const partial = `${join(this.directory, model.file)}.partial`;
      if (!existsSync(partial)) continue;
      found.push({ id: model.id, receivedBytes: (await stat(partial)).size, totalBytes: model.sizeBytes });
    }
    return found;
  }

  /** The path of an installed model by its file name; never one outside the models folder. */
  pathOf(file: string): string {
    const path = resolve(this.directory, file);
    if (!MODEL_FILE_NAME.test(file) || !path.startsWith(this.directory + sep)) {
      throw new KernelError('INVALID_REQUEST', `"${file}" is not a model file name (letters, digits, . _ - and .gguf at the end)`);
    }
    return path;
  }

  /** Downloads a catalogue model (resuming a partial one); returns its path. */
  async download(id: string, onProgress?: (progress: DownloadProgress) => void, signal?: AbortSignal): Promise<string> {
    const model = this.entry(id);
    await mkdir(this.directory, { recursive: true });
    const result = await downloadModel({
      id,
      url: model.url,
      target: this.pathOf(model.file),
      // A size without a checksum is an estimate: the length the server reports is checked instead.
      ...(model.sha256 ? { expectedBytes: model.sizeBytes } : {}),
      sha256: model.sha256,
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    return result.path;
  }

  /** Copies a local GGUF in (its header checked first); returns its new path. */
  async import(source: string): Promise<string> {
    const facts = await describeModelFile(source);
    await this.ensureDirectory();
    const target = this.newModelPath(toModelFileName(facts.name));
    const temporary = `${target}.${randomBytes(4).toString('hex')}.importing`;
    try {
      await copyFile(facts.path, temporary);
      await placeExclusively(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new KernelError('INTERNAL', `could not copy ${facts.name} into ${this.directory}: ${(error as Error).message}`);
    }
    return target;
  }

  /**
   * Takes a GGUF streamed in (a browser's upload): written beside the models, checked like an
   * import, and renamed into place only if it is a whole, readable model. A body over
   * `maxUploadBytes` is refused: at once when its declared length says so, else when the count passes it.
   */
  async receive(file: string, body: AsyncIterable<Uint8Array>, declaredBytes?: number): Promise<string> {
    if (declaredBytes !== undefined && declaredBytes > this.maxUploadBytes) throw uploadTooLarge(file, this.maxUploadBytes, declaredBytes);
    await this.ensureDirectory();
    const target = this.newModelPath(toModelFileName(file));
    const temporary = `${target}.${randomBytes(4).toString('hex')}.uploading`;
    try {
      await pipeline(upTo(body, this.maxUploadBytes, file), createWriteStream(temporary, { mode: 0o600 }));
      await describeModelFile(temporary).catch((error: unknown) => {
        throw error instanceof KernelError ? new KernelError(error.code, error.message.replaceAll(temporary, target)) : error;
      });
      await placeExclusively(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      if (error instanceof KernelError) throw error;
      throw new KernelError('INVALID_REQUEST', `the upload of ${file} did not complete: ${(error as Error).message}; nothing was installed`);
    }
    return target;
  }

  /** Deletes an installed model to reclaim disk; never one outside the models folder, nor the one in use. */
  async delete(file: string, inUse: string | null): Promise<void> {
    const path = this.pathOf(file);
    if (inUse && resolve(inUse) === path) throw new KernelError('INVALID_STATE', `${file} is the model in use; load another one first`);
    // A paused download's partial file is deleted the same way: that is how its disk space comes back.
    if (!existsSync(path) && !existsSync(`${path}.partial`)) throw new KernelError('MODEL_NOT_FOUND', `${file} is not installed in ${this.directory}`);
    await rm(path, { force: true });
    await rm(`${path}.partial`, { force: true });
    await rm(`${path}.partial.json`, { force: true });
  }

  private newModelPath(file: string): string {
    const target = this.pathOf(file);
    if (existsSync(target)) throw new KernelError('INVALID_STATE', `${file} is already installed; delete it first to replace it`);
    return target;
  }

  async ensureDirectory(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
  }
}
