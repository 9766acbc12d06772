import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { TEST_AGENTS } from '../fixtures/test-gallery.js';
import { AppShell } from '../pages/app-shell.page.js';
import { TaskManagerPage } from '../pages/task-manager.page.js';
import { expectText, UI_TIMEOUT } from '../pages/wait.js';

/**
 * Watching and steering agents: install by drag and drop, see them live, renice, kill, talk to an
 * interactive one. Registered by each variant's test file with its own app (two slots).
 */
export function taskManagerScenarios(app: () => AppUnderTest): void {
  const { looper, chatter } = TEST_AGENTS;

  it('drags an agent from the gallery onto the table, approves its capabilities and sees it running', async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    const taskManager = await shell.ready();
    await screenshot('task-manager-empty');

    const install = await taskManager.dragFromGallery(looper.name);
    expect(await install.requestedCapabilities()).toEqual(['clock']);
    await install.setScope('clock', 'This session');
    await install.setTask('count to ten');
    await screenshot('install-dialog');
    await install.start();

    const pid = await taskManager.waitForNewProcess(looper.name);
    await taskManager.waitForState(pid, ['running']);
    // Live counters: the row's rate comes from the token stream, sampled twice a second.
    await expect.poll(() => taskManager.rateOf(pid), { timeout: UI_TIMEOUT, interval: 200 }).toBeGreaterThan(0);

    const sandbox = await shell.openSandbox();
    await expectText(sandbox.grantRows('clock'), /Looper[\s\S]*any tool[\s\S]*clock[\s\S]*session/);
    await shell.openTaskManager();
    await taskManager.openConsole(pid);
    await expectText(shell.console.output(pid), /→ calculator/);
    await screenshot('task-manager');
  });

  it('renices and kills an agent and the table shows it', async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    const taskManager = await shell.openTaskManager();
    const [pid] = await taskManager.pidsOf(looper.name);
    expect(pid).toBeDefined();

    const renice = await taskManager.openRenice(pid!);
    await renice.set('idle', 5);
    await screenshot('renice-dialog');
    await renice.apply();
    await expect.poll(() => taskManager.priorityClassOf(pid!), { timeout: UI_TIMEOUT }).toBe('idle');
    await expect.poll(() => taskManager.niceOf(pid!), { timeout: UI_TIMEOUT }).toBe(5);

    await taskManager.kill(pid!);
    await taskManager.waitForState(pid!, ['exited']);
    expect(await taskManager.exitOf(pid!)).toMatch(/^exit 137: killed/);
    expect(await taskManager.stateLabelOf(pid!)).toBe('killed');
    await screenshot('task-manager-killed');
  });

  it('an interactive agent answers in its console, waits, and takes the next message', async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    const taskManager = await shell.openTaskManager();
    const install = await taskManager.installFromDock(chatter.name);
    await install.setTask('say hello');
    await install.start();

    const pid = await taskManager.waitForNewProcess(chatter.name);
    await taskManager.openConsole(pid);
    // A session agent waits for the user after its answer instead of exiting.
    await taskManager.waitForState(pid, ['waiting']);
    await shell.console.send(chatter.name, 'and one more thing');
    await expectText(shell.console.output(pid), /> and one more thing/);
    await screenshot('console');
    await taskManager.kill(pid);
    await taskManager.waitForState(pid, ['exited']);
  });

  it('the gallery shows each agent with its tools and requested capabilities, installable from the keyboard', async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    const gallery = await shell.openGallery();
    expect(await gallery.capabilitiesOf('Web Reader')).toEqual(['net:*.wikipedia.org', 'net:api.github.com']);
    expect(await gallery.cards.count()).toBeGreaterThanOrEqual(12);
    await screenshot('gallery');

    const install = await gallery.install('Web Reader');
    expect(await install.requestedCapabilities()).toEqual(['net:*.wikipedia.org', 'net:api.github.com']);
    await page.keyboard.press('Escape');
    await install.dialog.waitFor({ state: 'detached' });

    // A card dropped on the Task Manager tab switches to it and asks the same questions.
    const dropped = await gallery.dragToTaskManager('Storyteller');
    expect(await shell.tab('Task Manager').getAttribute('aria-selected')).toBe('true');
    const taskManager = new TaskManagerPage(page);
    const before = await taskManager.pidsOf('Storyteller');
    await dropped.cancel();
    expect(await taskManager.pidsOf('Storyteller')).toEqual(before);

    await shell.setLightTheme(true);
    await screenshot('task-manager-light');
    await shell.setLightTheme(false);
    // The other size it must work at: the table gets the room, nothing overflows the window.
    await page.setViewportSize({ width: 1920, height: 1080 });
    await screenshot('task-manager-1920');
    expect(await shell.documentSize()).toEqual([1920, 1080]);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await shell.documentSize()).toEqual([1280, 800]);

    // Clearing finished agents leaves only the live ones in the table.
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await expectText(page.getByLabel('Agent counts'), /\b0 finished/);
    expect(await page.locator('tr[data-state="exited"], tr[data-state="crashed"]').count()).toBe(0);
  });
}
