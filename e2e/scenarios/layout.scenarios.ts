import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { TEST_AGENTS } from '../fixtures/test-gallery.js';
import { AppShell } from '../pages/app-shell.page.js';
import { TaskManagerPage } from '../pages/task-manager.page.js';

/** Two slots, two live agents: the table has rows with their actions. */
export const LAYOUT_SETUP = { slots: 2 } as const;

const SIZES = [
  { width: 1400, height: 900 },
  { width: 1024, height: 700 },
  { width: 800, height: 600 },
] as const;

const VIEWS = ['Task Manager', 'KV Memory', 'Sandbox', 'Gallery', 'Models'] as const;

/**
 * The window sizes a newcomer's laptop or a small desktop gives the app: no view scrolls the page
 * sideways, the status bar stays on screen, and every live row's actions can be clicked.
 */
export function layoutScenarios(app: () => AppUnderTest): void {
  const { looper } = TEST_AGENTS;

  it('starts two agents, so the table has live rows with actions', async () => {
    const { page } = app();
    const shell = new AppShell(page);
    const taskManager = await shell.ready();
    for (let started = 0; started < 2; started++) {
      const known = await taskManager.pidsOf(looper.name);
      const install = await (await shell.openGallery()).install(looper.name);
      await install.setTask(`count, run ${started + 1}`);
      await install.start();
      await shell.openTaskManager();
      await taskManager.waitForState(await taskManager.waitForNewProcess(looper.name, known), ['running', 'ready', 'waiting', 'blocked']);
    }
  });

  it('ships a favicon, keeps the selected view across a reload, and gives focus back to what opened a dialog', async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(icon).toBeTruthy();
    const response = await page.request.get(new URL(icon!, page.url()).href);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('image/svg+xml');

    await shell.tab('Sandbox').click();
    await page.reload();
    await shell.connected();
    expect(await shell.tab('Sandbox').getAttribute('aria-selected')).toBe('true');
    // The view is kept in localStorage; the URL's fragment is the token's alone.
    expect(new URL(page.url()).hash).toBe('');

    const taskManager = await shell.openTaskManager();
    const [pid] = await taskManager.pidsOf(looper.name);
    const renice = page.getByRole('button', { name: `Renice process ${pid}` });
    await renice.click();
    await page.getByRole('dialog', { name: /^Renice/ }).waitFor();
    await screenshot('layout-renice-dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: /^Renice/ }).waitFor({ state: 'detached' });
    expect(await renice.evaluate((element) => element === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);
  });

  for (const size of SIZES) {
    it(`fits a ${size.width}×${size.height} window: no sideways page scroll, the status bar and every row action on screen`, async () => {
      const { page, screenshot } = app();
      const shell = new AppShell(page);
      await page.setViewportSize(size);
      for (const view of VIEWS) {
        await shell.tab(view).click();
        await expect.poll(() => shell.tab(view).getAttribute('aria-selected')).toBe('true');
        await screenshot(`layout-${size.width}x${size.height}-${view.toLowerCase().replace(' ', '-')}`);
        const [scrollWidth, innerWidth] = await shell.horizontalExtent();
        expect(scrollWidth, `${view} at ${size.width}×${size.height} scrolls the page sideways`).toBeLessThanOrEqual(innerWidth);
        expect(await shell.isOnScreen(shell.statusBar), `the status bar is off screen in ${view}`).toBe(true);
      }
      await shell.tab('Task Manager').click();
      const taskManager = new TaskManagerPage(page);
      const pids = await taskManager.pidsOf(looper.name);
      expect(pids.length).toBeGreaterThanOrEqual(2);
      for (const pid of pids) {
        const actions = taskManager.row(pid).getByRole('button', { name: new RegExp(`^(Suspend|Resume|Renice|Kill) process ${pid}$`) });
        expect(await actions.count()).toBe(3);
        for (const action of await actions.all()) {
          expect(await shell.isOnScreen(action), `${await action.getAttribute('aria-label')} at ${size.width}×${size.height}`).toBe(true);
        }
      }
    });
  }
}
