import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { TEST_AGENTS, fetcherCapability } from '../fixtures/test-gallery.js';
import { AppShell } from '../pages/app-shell.page.js';
import { expectAtLeast, expectText, UI_TIMEOUT } from '../pages/wait.js';

/**
 * Capabilities asked of the user: the grant dialog, what Allow and Deny do to the agent and the
 * audit log, and a revoked grant asking again. Registered by each variant with its own app.
 */
export function sandboxScenarios(app: () => AppUnderTest): void {
  const { fetcher } = TEST_AGENTS;

  it('a tool that needs the network raises the grant dialog; Allow lets the call through and the audit log shows it', async () => {
    const { page, world, screenshot } = app();
    const shell = new AppShell(page);
    await shell.ready();
    const capability = fetcherCapability(world.page.port);

    const gallery = await shell.openGallery();
    const install = await gallery.install(fetcher.name);
    expect(await install.requestedCapabilities()).toEqual([]);
    await install.setTask('fetch the page');
    await install.start();

    const dialog = shell.grantDialog;
    await dialog.waitForRequest();
    expect(await dialog.fact('Agent')).toMatch(/^Fetcher \(fetcher, pid \d+\)$/);
    expect(await dialog.fact('Tool')).toBe('http_get');
    expect(await dialog.fact('Capability')).toBe(capability);
    expect(await dialog.fact('Host')).toBe('127.0.0.1');
    expect(await dialog.fact('Port')).toBe(String(world.page.port));
    expect(await dialog.fact('Risk')).toBe('medium');
    expect(await dialog.args()).toContain(`${world.page.url}/page`);
    expect(await dialog.countdown()).toMatch(/^Denied automatically in \d+ s$/);
    expect(world.page.requests).toEqual([]);
    await screenshot('grant-dialog');
    await dialog.answer('Allow for this session');

    await expect.poll(() => world.page.requests, { timeout: UI_TIMEOUT }).toEqual(['GET /page']);
    const taskManager = await shell.openTaskManager();
    const [pid] = await taskManager.pidsOf(fetcher.name);
    await taskManager.openConsole(pid!);
    await expectText(shell.console.output(pid!), /← http_get ok/);

    const sandbox = await shell.openSandbox();
    await expectText(sandbox.grantRows(capability), /Fetcher[\s\S]*session/);
    await expectAtLeast(sandbox.auditRows('capability', 'http_get', 'allowed'), 1);
    await expectAtLeast(sandbox.auditRows('tool', 'http_get', 'ok'), 1);
    await screenshot('sandbox');
  });

  it('a revoked grant asks again; Deny gives the agent a clear error and the audit log shows the denial', async () => {
    const { page, world, screenshot } = app();
    const shell = new AppShell(page);
    const capability = fetcherCapability(world.page.port);

    const sandbox = await shell.openSandbox();
    await sandbox.revoke(capability, fetcher.name);
    await expect.poll(() => sandbox.grantRows(capability).count(), { timeout: UI_TIMEOUT }).toBe(0);

    const taskManager = await shell.openTaskManager();
    const before = await taskManager.pidsOf(fetcher.name);
    const install = await taskManager.installFromDock(fetcher.name);
    await install.setTask('fetch the page again');
    await install.start();
    const pid = await taskManager.waitForNewProcess(fetcher.name, before);

    await shell.grantDialog.waitForRequest();
    expect(await shell.grantDialog.fact('Capability')).toBe(capability);
    await shell.grantDialog.answer('Deny');

    await taskManager.openConsole(pid);
    await expectText(shell.console.output(pid), /← http_get failed: CAPABILITY_DENIED: .*denied/);
    expect(world.page.requests).toEqual(['GET /page']);

    await shell.openSandbox();
    await sandbox.filterAudit('fetcher', 'Denied');
    const denials = sandbox.auditRows('http_get', 'denied');
    await expectAtLeast(denials, 1);
    expect(await denials.first().getAttribute('data-outcome')).toBe('denied');
    expect(await sandbox.auditRows('allowed').count()).toBe(0);
    await screenshot('sandbox-denied');
    await sandbox.filterAudit('');
  });

  it('"Deny for this session" is listed with the grants and refuses the next call without asking, until revoked', async () => {
    const { page, world, screenshot } = app();
    const shell = new AppShell(page);
    const capability = fetcherCapability(world.page.port);
    const taskManager = await shell.openTaskManager();

    // The rows before the start: read after it, the new row may already be among them.
    const before = await taskManager.pidsOf(fetcher.name);
    const first = await taskManager.installFromDock(fetcher.name);
    await first.setTask('fetch, and be told no');
    await first.start();
    const denied = await taskManager.waitForNewProcess(fetcher.name, before);
    await shell.grantDialog.waitForRequest();
    await shell.grantDialog.answer('Deny for this session');
    await taskManager.openConsole(denied);
    await expectText(shell.console.output(denied), /← http_get failed: CAPABILITY_DENIED: .*denied it \(for this session\)/);

    const sandbox = await shell.openSandbox();
    await expectText(sandbox.grantRows(capability), /Fetcher[\s\S]*denied this session/);
    await screenshot('sandbox-standing-deny');

    await shell.openTaskManager();
    const known = await taskManager.pidsOf(fetcher.name);
    const again = await taskManager.installFromDock(fetcher.name);
    await again.setTask('fetch, asking nobody');
    await again.start();
    const refused = await taskManager.waitForNewProcess(fetcher.name, known);
    await taskManager.openConsole(refused);
    await expectText(shell.console.output(refused), /← http_get failed: CAPABILITY_DENIED: .*standing deny/);
    expect(await shell.grantDialog.dialog.count()).toBe(0);
    expect(world.page.requests).toEqual(['GET /page']);

    await shell.openSandbox();
    await expectAtLeast(sandbox.auditRows('http_get', 'by standing deny'), 1);
    await sandbox.revokeDeny(capability, fetcher.name);
    await expect.poll(() => sandbox.grantRows(capability).count(), { timeout: UI_TIMEOUT }).toBe(0);
    await sandbox.filterAudit('', 'Revoked');
    await expectAtLeast(sandbox.auditRows('revoked by the user'), 2);
    await sandbox.filterAudit('');
  });
}
