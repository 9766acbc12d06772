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

  /** The Cores panel: the local model and the remote engines agents run on. */
  get cores(): Locator {
    return this.page.getByRole('region', { name: 'Cores' });
  }

  coreRow(name: string): Locator {
    return this.page.getByRole('table', { name: 'Cores' }).getByRole('row').filter({ has: this.page.getByRole('rowheader', { name: new RegExp(`^${name}\\b`) }) });
  }

  /** Fills the Add core form (the token as the NAME of a variable, never the token) and submits it. */
  async addCore(core: { name: string; url: string; kind?: 'llama-server' | 'openai'; tokenEnv?: string }): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Add a core' });
    await form.getByRole('textbox', { name: 'Core name' }).fill(core.name);
    await form.getByRole('textbox', { name: 'Core URL' }).fill(core.url);
    await form.getByRole('combobox', { name: 'Core kind' }).selectOption(core.kind ?? 'llama-server');
    if (core.tokenEnv) await form.getByRole('textbox', { name: 'Token variable' }).fill(core.tokenEnv);
    await form.getByRole('button', { name: 'Add core' }).click();
  }

  /** Remove, then the confirmation. */
  async removeCore(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Remove core ${name}` }).click();
    await this.coreRow(name).getByRole('button', { name: 'Remove for good' }).click();
  }

  /** Drops a file on the view, as a drag from the desktop would. */
  dropFile(name: string, bytes: Buffer): Promise<void> {
    return dropFile(this.page, this.view, name, bytes);
  }
}
