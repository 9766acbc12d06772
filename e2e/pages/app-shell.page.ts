import type { Locator, Page } from 'playwright';
import { ConsolePage } from './console.page.js';
import { GalleryPage } from './gallery.page.js';
import { GrantDialogPage } from './grant-dialog.page.js';
import { KvMemoryPage } from './kv-memory.page.js';
import { ModelsPage } from './models.page.js';
import { SandboxPage } from './sandbox.page.js';
import { TaskManagerPage } from './task-manager.page.js';
import { UI_TIMEOUT } from './wait.js';

/** The frame around every view: the tabs, the status bar, the theme switch, the global grant dialog. */
export class AppShell {
  constructor(readonly page: Page) {}

  tab(name: 'Task Manager' | 'KV Memory' | 'Sandbox' | 'Gallery' | 'Models'): Locator {
    return this.page.getByRole('tablist', { name: 'Views' }).getByRole('tab', { name });
  }

  get statusBar(): Locator {
    return this.page.getByRole('contentinfo').getByLabel('Kernel status');
  }

  /** Waits for the kernel's snapshot to be on screen. */
  async ready(): Promise<TaskManagerPage> {
    await this.page.getByRole('tablist', { name: 'Views' }).waitFor({ timeout: UI_TIMEOUT });
    return new TaskManagerPage(this.page);
  }

  async openTaskManager(): Promise<TaskManagerPage> {
    await this.tab('Task Manager').click();
    return new TaskManagerPage(this.page);
  }

  async openGallery(): Promise<GalleryPage> {
    await this.tab('Gallery').click();
    return new GalleryPage(this.page);
  }

  async openSandbox(): Promise<SandboxPage> {
    await this.tab('Sandbox').click();
    return new SandboxPage(this.page);
  }

  async openKvMemory(): Promise<KvMemoryPage> {
    await this.tab('KV Memory').click();
    return new KvMemoryPage(this.page);
  }

  async openModels(): Promise<ModelsPage> {
    await this.tab('Models').click();
    return new ModelsPage(this.page);
  }

  get console(): ConsolePage {
    return new ConsolePage(this.page);
  }

  get grantDialog(): GrantDialogPage {
    return new GrantDialogPage(this.page);
  }

  /** The document's scroll size: equal to the window when nothing overflows it. */
  async documentSize(): Promise<[number, number]> {
    return this.page.evaluate(() => {
      // This folder is type-checked without the DOM library; the callback runs in the page.
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; scrollHeight: number } } }).document.documentElement;
      return [root.scrollWidth, root.scrollHeight] as [number, number];
    });
  }

  async setLightTheme(light: boolean): Promise<void> {
    const toggle = this.page.getByRole('button', { name: 'Light theme' });
    if ((await toggle.getAttribute('aria-pressed')) !== String(light)) await toggle.click();
  }
}
