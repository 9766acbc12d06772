import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { toolPackageFrom } from '../fixtures/tool-package.js';
import { AppShell } from '../pages/app-shell.page.js';
import type { ToolReviewDialogPage } from '../pages/tool-review-dialog.page.js';
import type { SandboxPage } from '../pages/sandbox.page.js';
import { expectText, UI_TIMEOUT } from '../pages/wait.js';

/** No agent runs here; the smallest window the review dialog must read well in. */
export const TOOLS_SETUP = { slots: 1, withoutModel: true, viewport: { width: 1024, height: 700 } } as const;

/** The browser uploads a dropped file; Electron stages a picked one by its path (a file made in the page has none). */
async function bringPackage(app: AppUnderTest, sandbox: SandboxPage, fileName: string, bytes: Buffer, toolName: string): Promise<ToolReviewDialogPage> {
  if (app.variant === 'web') return sandbox.dropToolPackage(fileName, bytes, toolName);
  const path = join(app.world.dataDir, '..', fileName);
  writeFileSync(path, bytes);
  return sandbox.pickToolPackage(path, toolName);
}

/** Third-party tools from the Sandbox view: review an unsigned package, install it with consent, remove it. */
export function toolsScenarios(app: () => AppUnderTest): void {
  it('reviews a dropped unsigned .tar.gz tool, installs it only with consent, lists it, and removes it', async () => {
    const running = app();
    const { page, screenshot } = running;
    const shell = new AppShell(page);
    await shell.ready();
    const sandbox = await shell.openSandbox();
    await expectText(sandbox.toolRow('http_get'), /http_get/);
    expect(await sandbox.toolRow('http_get').getByRole('button', { name: 'Remove http_get' }).count()).toBe(0);

    const pkg = toolPackageFrom('http_get', 'page_fetch');
    const review = await bringPackage(running, sandbox, 'page-fetch.tar.gz', pkg.bytes, 'page_fetch');
    await expectText(review.fact('Signature'), /unsigned[\s\S]*Not signed/);
    await expectText(review.sha256, pkg.digest);
    await expectText(review.dialog, 'network: the host named by its url argument');
    await expectText(review.fact('Host functions'), /kernel_http/);
    expect(await review.installButton.isDisabled()).toBe(true);
    await screenshot('tool-review');

    await review.allowUnsigned();
    await review.install();
    await expectText(sandbox.toolRow('page_fetch'), /installed[\s\S]*unsigned[\s\S]*network \(url\)/);
    await screenshot('sandbox-tools');

    // Cancel discards the staged copy, and the next drop is reviewed afresh.
    const again = await bringPackage(running, sandbox, 'page-fetch-2.tar.gz', toolPackageFrom('http_get', 'page_fetch_two').bytes, 'page_fetch_two');
    await again.cancel();
    expect(await sandbox.toolRow('page_fetch_two').count()).toBe(0);
    // Focus goes back to where the package came in, not to the page's body.
    await expect.poll(() => sandbox.toolsHaveFocus(), { timeout: UI_TIMEOUT }).toBe(true);

    await sandbox.removeTool('page_fetch');
    expect(await sandbox.toolRow('page_fetch').count()).toBe(0);
  });
}
