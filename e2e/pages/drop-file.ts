import type { Locator, Page } from 'playwright';

/** Drops a file built in the page on `target`, as a drag from the desktop would. */
export async function dropFile(page: Page, target: Locator, name: string, bytes: Buffer): Promise<void> {
  const transfer = await page.evaluateHandle(
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
  await target.dispatchEvent('dragover', { dataTransfer: transfer });
  await target.dispatchEvent('drop', { dataTransfer: transfer });
  await transfer.dispose();
}
