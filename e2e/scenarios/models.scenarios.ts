import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { testModel } from '../fixtures/paths.js';
import { AppShell } from '../pages/app-shell.page.js';
import { ModelsPage } from '../pages/models.page.js';
import { expectText, UI_TIMEOUT } from '../pages/wait.js';

/** A first run: no model yet. */
export const MODELS_SETUP = { slots: 2, withoutModel: true } as const;

/** The Models view from a first run with no model: download, load, import by dialog and by drop, delete. */
export function modelsScenarios(app: () => AppUnderTest): void {
  it('starts without a model, says so, and downloads the default with progress, then loads it', async () => {
    const { page, screenshot, variant } = app();
    const shell = new AppShell(page);
    await shell.ready();
    if (variant === 'electron') {
      // The desktop app fetches the catalogue's default by itself on a first run, then loads it.
      const models = await shell.openModels();
      await expectText(models.installedRow('stories-260k.gguf'), /in use/);
      await expectText(models.placement, 'stories-260k.gguf runs entirely on the CPU (1 thread).');
      return;
    }
    await expectText(shell.statusBar, /none loaded: no model configured/);
    await expectText(shell.tab('Models'), /no model/);
    await shell.statusBar.getByRole('button', { name: 'Open Models' }).click();
    const models = new ModelsPage(page);
    await expectText(models.hardware, /Backend\s+CPU/);
    await expectText(models.placement, 'No model is loaded.');

    await models.download('stories-260k');
    // Paced by the fixture server: progress with bytes, speed and time left shows while it runs.
    await expectText(models.catalogRow('stories-260k'), /\d+% · [\d.]+ (KiB|MiB) of 1\.1 MiB · [\d.]+ (KiB|MiB)\/s · \d+s left/);
    await expectText(shell.tab('Models'), /\d+%/);
    await screenshot('models-downloading');
    await expectText(models.installedRow('stories-260k.gguf'), /stories-260k[\s\S]*1\.1 MiB[\s\S]*installed/);
    await expectText(models.catalogRow('stories-260k'), /installed/);

    await models.load('stories-260k.gguf');
    await expectText(models.placement, 'stories-260k.gguf runs entirely on the CPU (1 thread).');
    await expectText(models.installedRow('stories-260k.gguf'), /in use/);
    await expectText(shell.statusBar, /Model\s+stories-260k\.gguf/);
    expect(await page.getByRole('button', { name: 'Delete stories-260k.gguf' }).isDisabled()).toBe(true);
  });

  it('pauses, discards, and refuses a download whose checksum is wrong, with the reason, installing nothing', async () => {
    const { page } = app();
    const models = await new AppShell(page).openModels();
    // Stopped part-way, it waits as a paused partial file that can be resumed or discarded.
    await models.download('tampered');
    await page.getByRole('button', { name: 'Cancel download of tampered' }).click();
    await expectText(models.catalogRow('tampered'), /paused at [\d.]+ (KiB|MiB) of 1\.1 MiB: resumes from there/);
    await page.getByRole('button', { name: 'Discard the partial download of tampered' }).click();
    await expectText(models.catalogRow('tampered'), /not installed/);
    await models.download('tampered');
    await expectText(models.catalogRow('tampered'), /not the expected file \(sha256 [0-9a-f]{12}… instead of [0-9a-f]{12}…\); it was removed/);
    // The file was removed: nothing to resume, the button offers a fresh try.
    await expectText(page.getByRole('button', { name: 'Download tampered' }), 'Retry');
    expect(await models.installedRow('tampered.gguf').count()).toBe(0);
  });

  it('imports a GGUF through the file dialog and by drag-and-drop, refuses other files, and deletes', async () => {
    const { page, world, variant, screenshot } = app();
    const shell = new AppShell(page);
    const models = await shell.openModels();
    const picked = join(world.dataDir, '..', 'picked.gguf');
    copyFileSync(testModel, picked);
    await models.importWithDialog(picked);
    await expectText(models.installedRow('picked.gguf'), /imported[\s\S]*1\.1 MiB/);

    if (variant === 'web') {
      // A file built in the page has no path on disk, so only the browser's upload path can take it.
      await models.dropFile('dropped.gguf', readFileSync(testModel));
      await expectText(models.installedRow('dropped.gguf'), /imported/);
      await models.dropFile('half.gguf', readFileSync(testModel).subarray(0, 400_000));
      await expectText(page.getByRole('alert'), /half\.gguf is (cut off|damaged)/);
      expect(await models.installedRow('half.gguf').count()).toBe(0);
    }
    await models.dropFile('notes.txt', Buffer.from('hello'));
    await expectText(page.getByRole('alert'), 'notes.txt is not a .gguf model file');
    await screenshot('models');

    await models.delete('picked.gguf');
    await expect.poll(() => models.installedRow('picked.gguf').count(), { timeout: UI_TIMEOUT }).toBe(0);
  });
}
