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

  /** Waits for the kernel's snapshot to be on screen, in whichever view was selected last. */
  async connected(): Promise<void> {
    await this.page.getByRole('tablist', { name: 'Views' }).waitFor({ timeout: UI_TIMEOUT });
  }

  /**
   * Waits for the kernel's snapshot, then shows the Task Manager: the app reopens the view selected
   * last (kept in the window's storage, which Electron keeps between runs).
   */
  async ready(): Promise<TaskManagerPage> {
    await this.connected();
    return this.openTaskManager();
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

  /** The document's width and the window's: equal when nothing scrolls the page sideways. */
  async horizontalExtent(): Promise<[number, number]> {
    return this.page.evaluate(() => {
      const page = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return [page.document.documentElement.scrollWidth, page.innerWidth] as [number, number];
    });
  }

  /**
   * Whether the element is wholly inside the window and on top at its centre (not covered, not cut
   * off by a scrolled panel): what a user can see and click.
   */
  async isOnScreen(locator: Locator): Promise<boolean> {
    return locator.evaluate((element) => {
      const page = globalThis as unknown as { innerWidth: number; innerHeight: number; document: { elementFromPoint(x: number, y: number): unknown } };
      const box = (element as unknown as { getBoundingClientRect(): { left: number; top: number; right: number; bottom: number; width: number; height: number } }).getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || box.left < 0 || box.top < 0 || box.right > page.innerWidth || box.bottom > page.innerHeight) return false;
      const hit = page.document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      return hit === element || (element as unknown as { contains(node: unknown): boolean }).contains(hit);
    });
  }

  /** The theme switch is labelled by what it does: it offers the other theme. */
  async setLightTheme(light: boolean): Promise<void> {
    const toggle = this.page.getByRole('button', { name: light ? 'Switch to light theme' : 'Switch to dark theme' });
    if ((await toggle.count()) > 0) await toggle.click();
    await this.page.getByRole('button', { name: light ? 'Switch to dark theme' : 'Switch to light theme' }).waitFor({ timeout: UI_TIMEOUT });
  }
}
