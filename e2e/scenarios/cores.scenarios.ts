import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { TEST_AGENTS } from '../fixtures/test-gallery.js';
import { AppShell } from '../pages/app-shell.page.js';
import { ModelsPage } from '../pages/models.page.js';
import { expectText, UI_TIMEOUT } from '../pages/wait.js';

/** One slot on the kernel's own model, so the remote core's slots are where a second agent can run; 2048 tokens a slot, as the llama-server's. */
export const CORES_SETUP = { slots: 1, context: 2048 } as const;

export const REMOTE_CORE = 'box2';

/**
 * A second "machine": a llama-server on loopback, added as a core from the Models view; agents
 * dragged from the gallery run on it, the Task Manager says where, and it is removed again.
 */
export function coresScenarios(app: () => AppUnderTest, remoteUrl: () => string): void {
  const { looper } = TEST_AGENTS;

  it('adds a running llama-server as a core from the Models view, and the status bar counts it', async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    await shell.ready();
    const models = await shell.openModels();
    await expectText(models.coreRow('local'), /up/);
    await expectText(shell.statusBar, /Cores\s+1\/1 up/);

    // A token pasted where the variable's name goes is refused before anything is sent.
    const form = page.getByRole('form', { name: 'Add a core' });
    await form.getByRole('textbox', { name: 'Token variable' }).fill('sk-secret-value');
    await form.getByRole('textbox', { name: 'Core name' }).fill(REMOTE_CORE);
    await form.getByRole('textbox', { name: 'Core URL' }).fill(remoteUrl());
    await expectText(form.getByRole('note'), /NAME of an environment variable/);
    expect(await form.getByRole('button', { name: 'Add core' }).isDisabled()).toBe(true);
    await form.getByRole('textbox', { name: 'Token variable' }).fill('');

    await models.addCore({ name: REMOTE_CORE, url: remoteUrl() });
    const row = models.coreRow(REMOTE_CORE);
    await expectText(row, /llama-server/);
    await expectText(row, /\bup\b/);
    // Started without --slot-save-path: the panel says what that costs.
    await expectText(row, /no KV save\/restore: moved agents re-prefill/);
    await expectText(shell.statusBar, /Cores\s+2\/2 up/);
    await screenshot('models-cores');
  });

  it('an agent dragged from the gallery runs on the remote core, and its row names the core', async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    const taskManager = await shell.openTaskManager();
    const pids: number[] = [];
    // Two long agents: the kernel's one local slot holds at most one, so one runs on the remote core.
    for (const task of ['count, first', 'count, second']) {
      const known = await taskManager.pidsOf(looper.name);
      const install = await taskManager.dragFromGallery(looper.name);
      await install.setScope('clock', 'This session');
      await install.setTask(task);
      await install.start();
      pids.push(await taskManager.waitForNewProcess(looper.name, known));
    }
    await expect
      .poll(async () => Promise.all(pids.map((pid) => taskManager.coreOf(pid))), { timeout: UI_TIMEOUT, interval: 200 })
      .toContain(REMOTE_CORE);
    const remote = pids[(await Promise.all(pids.map((pid) => taskManager.coreOf(pid)))).indexOf(REMOTE_CORE)]!;
    await taskManager.waitForState(remote, ['running', 'ready', 'waiting', 'blocked']);
    await screenshot('task-manager-cores');

    const models = new ModelsPage(page);
    await shell.openModels();
    // Its slot on the remote core is in use or was: the panel shows the core's slots.
    await expectText(models.coreRow(REMOTE_CORE), /\d+\/\d+/);
    await shell.openTaskManager();
    for (const pid of pids) {
      await taskManager.kill(pid);
      await taskManager.waitForState(pid, ['exited']);
    }
  });

  it('removes the core after confirmation', async () => {
    const { page } = app();
    const shell = new AppShell(page);
    const models = await shell.openModels();
    await models.removeCore(REMOTE_CORE);
    await expect.poll(() => models.coreRow(REMOTE_CORE).count(), { timeout: UI_TIMEOUT }).toBe(0);
    await expectText(shell.statusBar, /Cores\s+1\/1 up/);
  });
}
