import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { TEST_AGENTS } from '../fixtures/test-gallery.js';
import { AppShell } from '../pages/app-shell.page.js';
import { UI_TIMEOUT } from '../pages/wait.js';

/** Agents started for the load check: more than a screenful, four times the slots. */
export const LOAD_AGENTS = 16;
export const LOAD_SETUP = { slots: 4 } as const;

/** How the page behaved while it watched: table updates, frames, and main-thread stalls. */
interface Watch {
  tableUpdates: number;
  frames: number;
  longTasks: number[];
}

/** The few browser APIs the probe uses; this folder is type-checked for Node, without the DOM library. */
interface ProbeWindow {
  document: { querySelector(selector: string): object | null };
  PerformanceObserver: new (callback: (list: { getEntries(): { duration: number }[] }) => void) => { observe(options: { type: string }): void; disconnect(): void };
  MutationObserver: new (callback: () => void) => { observe(target: object, options: object): void; disconnect(): void };
  requestAnimationFrame(callback: () => void): number;
}

/** Watches the page for `ms`: how often the table changed, how many frames it drew, which tasks blocked it. */
async function watch(app: AppUnderTest, ms: number): Promise<Watch> {
  return app.page.evaluate(async (duration) => {
    const page = globalThis as unknown as ProbeWindow;
    const longTasks: number[] = [];
    const observer = new page.PerformanceObserver((list) => list.getEntries().forEach((entry) => longTasks.push(entry.duration)));
    observer.observe({ type: 'longtask' });
    let tableUpdates = 0;
    const table = page.document.querySelector('table tbody');
    const mutations = new page.MutationObserver(() => (tableUpdates += 1));
    if (table) mutations.observe(table, { subtree: true, childList: true, characterData: true, attributes: true });
    let frames = 0;
    let running = true;
    const tick = (): void => {
      frames += 1;
      if (running) page.requestAnimationFrame(tick);
    };
    page.requestAnimationFrame(tick);
    await new Promise((resolve) => setTimeout(resolve, duration));
    running = false;
    observer.disconnect();
    mutations.disconnect();
    return { tableUpdates, frames, longTasks };
  }, ms);
}

/** Dozens of agents: the table stays live (at least 2 updates a second) and the page does not stall. */
export function loadScenarios(app: () => AppUnderTest): void {
  it(`stays live and smooth with ${LOAD_AGENTS} agents on ${LOAD_SETUP.slots} slots`, async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    const taskManager = await shell.ready();
    const pids: number[] = [];
    for (let index = 0; index < LOAD_AGENTS; index += 1) {
      const install = await taskManager.installFromDock(TEST_AGENTS.looper.name);
      await install.setTask(`count batch ${index}`);
      await install.start();
      pids.push(await taskManager.waitForNewProcess(TEST_AGENTS.looper.name, pids));
    }
    await expect.poll(async () => (await Promise.all(pids.map((pid) => taskManager.stateOf(pid)))).filter((state) => state === 'running').length, { timeout: UI_TIMEOUT }).toBeGreaterThan(0);

    const seconds = 5;
    const seen = await watch(app(), seconds * 1000);
    await screenshot('task-manager-load');
    console.info(
      `${LOAD_AGENTS} agents: ${(seen.tableUpdates / seconds).toFixed(1)} table updates/s, ${(seen.frames / seconds).toFixed(0)} frames/s, ` +
        `${seen.longTasks.length} long tasks (longest ${Math.round(Math.max(0, ...seen.longTasks))} ms)`,
    );
    expect(seen.tableUpdates / seconds).toBeGreaterThanOrEqual(2);
    // Generous bounds for a loaded 2-core machine: no stall a user would feel as a freeze.
    expect(Math.max(0, ...seen.longTasks)).toBeLessThan(250);
    expect(seen.longTasks.reduce((sum, duration) => sum + duration, 0)).toBeLessThan(seconds * 1000 * 0.2);
    expect(seen.frames / seconds).toBeGreaterThan(20);
  });
}
