import type { Locator, Page } from 'playwright';

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
  async dropFile(name: string, bytes: Buffer): Promise<void> {
    const transfer = await this.page.evaluateHandle(
      ({ fileName, base64 }) => {
        // Runs in the page; this folder is type-checked without the DOM library.
        const scope = globalThis as unknown as {
          DataTransfer: new () => { items: { add(file: unknown): void } };
          File: new (parts: unknown[], name: string) => unknown;
          atob(text: string): string;
        };
        const binary = scope.atob(base64);
        const data = new Uint8Array(binary.length);
        for (let index = 0; index < binary.length; index++) data[index] = binary.charCodeAt(index);
        const transfer = new scope.DataTransfer();
        transfer.items.add(new scope.File([data], fileName));
        return transfer;
      },
      { fileName: name, base64: bytes.toString('base64') },
    );
    await this.view.dispatchEvent('dragover', { dataTransfer: transfer });
    await this.view.dispatchEvent('drop', { dataTransfer: transfer });
    await transfer.dispose();
  }
}
