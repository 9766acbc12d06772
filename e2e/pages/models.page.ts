import type { Locator, Page } from 'playwright';
import { dropFile } from './drop-file.js';

/** The Models view: hardware, installed models, import, the catalogue with downloads. */
export class ModelsPage {
  constructor(readonly page: Page) {}

  get view(): Locator {
    return this.page.locator('.models-view');
  }

  get placement(): Locator {
    return this.page.getByRole('region', { name: 'Hardware' }).getByTestId('placement');
  }

  get hardware(): Locator {
    return this.page.getByRole('region', { name: 'Hardware' });
  }

  get installedRows(): Locator {
    return this.page.getByRole('table', { name: 'Installed' }).getByRole('row').filter({ has: this.page.getByRole('cell') });
  }

  installedRow(file: string): Locator {
    return this.installedRows.filter({ hasText: file });
  }

  catalogRow(name: string): Locator {
    return this.page.getByRole('table', { name: 'Catalogue' }).getByRole('row').filter({ hasText: name });
  }

  downloadProgress(name: string): Locator {
    return this.page.getByRole('progressbar', { name: `Downloading ${name}` });
  }

  async download(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Download ${name}` }).click();
  }

  async load(file: string): Promise<void> {
    await this.page.getByRole('button', { name: `Load ${file}` }).click();
  }

  async delete(file: string): Promise<void> {
    await this.page.getByRole('button', { name: `Delete ${file}` }).click();
    await this.installedRow(file).getByRole('button', { name: 'Delete for good' }).click();
  }

  /** The file dialog: Playwright answers the chooser the "Choose a GGUF file…" button opens. */
  async importWithDialog(path: string): Promise<void> {
    const chooser = this.page.waitForEvent('filechooser');
    await this.page.getByRole('button', { name: 'Choose a GGUF file…' }).click();
    await (await chooser).setFiles(path);
  }

  /** Drops a file on the view, as a drag from the desktop would. */
  dropFile(name: string, bytes: Buffer): Promise<void> {
    return dropFile(this.page, this.view, name, bytes);
  }
}
