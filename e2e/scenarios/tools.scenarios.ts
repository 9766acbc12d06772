import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { TEST_AGENTS, WORD_COUNTER_TEXT } from '../fixtures/test-gallery.js';
import { goWordFreqPackage, toolPackageFrom } from '../fixtures/tool-package.js';
import { AppShell } from '../pages/app-shell.page.js';
import type { ToolReviewDialogPage } from '../pages/tool-review-dialog.page.js';
import type { SandboxPage } from '../pages/sandbox.page.js';
import { expectText, UI_TIMEOUT } from '../pages/wait.js';

/** One agent runs the installed tool (the test model); the smallest window the review dialog must read well in. */
export const TOOLS_SETUP = { slots: 1, viewport: { width: 1024, height: 700 } } as const;

/** The browser uploads a dropped file; Electron stages a picked one by its path (a file made in the page has none). */
async function bringPackage(app: AppUnderTest, sandbox: SandboxPage, fileName: string, bytes: Buffer, toolName: string): Promise<ToolReviewDialogPage> {
  if (app.variant === 'web') return sandbox.dropToolPackage(fileName, bytes, toolName);
  const path = join(app.world.dataDir, '..', fileName);
  writeFileSync(path, bytes);
  return sandbox.pickToolPackage(path, toolName);
}

/** Third-party tools from the Sandbox view: review an unsigned Go package, install it with consent, an agent calls it, remove it. */
export function toolsScenarios(app: () => AppUnderTest): void {
  it('reviews a dropped unsigned .tar.gz Go tool, installs it only with consent, an agent calls it, and removes it', async () => {
    const running = app();
    const { page, screenshot } = running;
    const shell = new AppShell(page);
    await shell.ready();
    const sandbox = await shell.openSandbox();
    await expectText(sandbox.toolRow('http_get'), /http_get/);
    expect(await sandbox.toolRow('http_get').getByRole('button', { name: 'Remove http_get' }).count()).toBe(0);

    // A tool written in Go (the SDK's template), as its publisher ships it: unsigned, needing nothing.
    const pkg = goWordFreqPackage();
    const review = await bringPackage(running, sandbox, 'word-freq.tar.gz', pkg.bytes, 'word_freq');
    await expectText(review.fact('Signature'), /unsigned[\s\S]*Not signed/);
    await expectText(review.sha256, pkg.digest);
    await expectText(review.fact('WASI'), 'uses the WASI subset the kernel offers');
    expect(await review.installButton.isDisabled()).toBe(true);
    await screenshot('tool-review');

    await review.allowUnsigned();
    await review.install();
    await expectText(sandbox.toolRow('word_freq'), /installed[\s\S]*unsigned[\s\S]*nothing/);
    await screenshot('sandbox-tools');

    // An agent whose only tool is word_freq: its forced first step calls it, and the result comes back.
    const { wordCounter } = TEST_AGENTS;
    const install = await (await shell.openGallery()).install(wordCounter.name);
    await install.setTask('count the words');
    await install.start();
    const taskManager = await shell.openTaskManager();
    const pid = await taskManager.waitForNewProcess(wordCounter.name);
    await taskManager.openConsole(pid);
    await expectText(shell.console.output(pid), new RegExp(`→ word_freq .*${WORD_COUNTER_TEXT}`));
    await expectText(shell.console.output(pid), /← word_freq ok .*"total":5/);
    await shell.openSandbox();

    // Cancel discards the staged copy, and the next drop is reviewed afresh.
    const again = await bringPackage(running, sandbox, 'page-fetch-2.tar.gz', toolPackageFrom('http_get', 'page_fetch_two').bytes, 'page_fetch_two');
    await again.cancel();
    expect(await sandbox.toolRow('page_fetch_two').count()).toBe(0);
    // Focus goes back to where the package came in, not to the page's body.
    await expect.poll(() => sandbox.toolsHaveFocus(), { timeout: UI_TIMEOUT }).toBe(true);

    await sandbox.removeTool('word_freq');
    expect(await sandbox.toolRow('word_freq').count()).toBe(0);
  });
}
