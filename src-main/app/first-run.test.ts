import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, testModelPath, tinyModelPath } from '../test-support/fixtures.js';
import { bootKernelWithCatalog, type CatalogFixtureModel } from '../test-support/model-catalog-fixture.js';
import { provideModel } from './first-run.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function kernelWithCatalog(models: CatalogFixtureModel[], options: { modelPath?: string | null; bytesPerSecond?: number } = {}) {
  const booted = await bootKernelWithCatalog(models, options);
  cleanups.push(booted.dispose);
  return booted;
}

describe('first run of the desktop app', () => {
  it('downloads the catalogue default and loads it when no model is installed', async () => {
    const { kernel } = await kernelWithCatalog([{ id: 'stories', source: testModelPath() }]);
    const states = new Set<string>();
    const outcome = await provideModel(kernel, (progress) => states.add(progress.state));
    expect(outcome).toEqual({ kind: 'downloaded', file: 'stories.gguf' });
    expect(states).toContain('done');
    expect(kernel.info().model?.name).toBe('stories.gguf');
    expect(await provideModel(kernel)).toEqual({ kind: 'ready' });
  });

  it('opens without a model and says why when the configured model is corrupt', async () => {
    const scratch = tempDir();
    cleanups.push(scratch.dispose);
    const corrupt = join(scratch.path, 'corrupt.gguf');
    copyFileSync(testModelPath(), corrupt);
    writeFileSync(corrupt, readFileSync(corrupt).subarray(0, 4096));
    const { kernel, fixture } = await kernelWithCatalog([{ id: 'stories', source: testModelPath() }], { modelPath: corrupt });
    const outcome = await provideModel(kernel);
    expect(outcome).toMatchObject({ kind: 'no-model', title: 'The model could not be loaded', reason: expect.stringContaining('corrupt.gguf') });
    // It is reported, not silently replaced by a download.
    expect(fixture.requests).toEqual([]);
    expect(kernel.info().modelError).toContain('corrupt.gguf');
    expect(existsSync(corrupt)).toBe(true);
  });

  it('opens without a model when the default cannot be downloaded, keeping what arrived', async () => {
    const { kernel } = await kernelWithCatalog([{ id: 'bad', source: testModelPath(), sha256: 'wrong' }]);
    const outcome = await provideModel(kernel);
    expect(outcome).toMatchObject({ kind: 'no-model', title: 'The default model could not be downloaded', reason: expect.stringContaining('sha256') });
    expect(kernel.info().model).toBeNull();
  });

  it('leaves a model the user loaded during the download in place, and a cancelled download quiet', async () => {
    const { kernel } = await kernelWithCatalog([{ id: 'stories', source: testModelPath() }], { bytesPerSecond: 300_000 });
    const pending = provideModel(kernel);
    await kernel.models.import(tinyModelPath());
    await kernel.useModel('amk-tiny-hd32.gguf');
    expect(await pending).toEqual({ kind: 'ready' });
    expect(kernel.info().model?.name).toBe('amk-tiny-hd32.gguf');

    const other = await kernelWithCatalog([{ id: 'stories', source: testModelPath() }], { bytesPerSecond: 300_000 });
    const cancelled = provideModel(other.kernel);
    await new Promise((resolve) => setTimeout(resolve, 300));
    other.kernel.models.cancel('stories');
    expect(await cancelled).toEqual({ kind: 'cancelled' });
  });
});

