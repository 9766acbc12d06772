import { expect, it } from 'vitest';
import type { AppUnderTest } from '../fixtures/app-under-test.js';
import { TEST_AGENTS } from '../fixtures/test-gallery.js';
import { AppShell } from '../pages/app-shell.page.js';
import { expectAtLeast, expectText, UI_TIMEOUT } from '../pages/wait.js';

/** One slot for two agents (so they swap), and a window small enough that they page history out. */
export const KV_MEMORY_SETUP = { slots: 1, context: 768 } as const;

/** The KV Memory view when more agents run than there are slots. Registered with a KV_MEMORY_SETUP app. */
export function kvMemoryScenarios(app: () => AppUnderTest): void {
  const { looper } = TEST_AGENTS;

  it('shows swaps, swapped states, the slot map and paged-out memory when more agents run than there are slots', async () => {
    const { page, screenshot } = app();
    const shell = new AppShell(page);
    const taskManager = await shell.ready();
    const pids: number[] = [];
    for (const task of ['count apples', 'count pears']) {
      const install = await taskManager.installFromDock(looper.name);
      await install.setTask(task);
      await install.start();
      pids.push(await taskManager.waitForNewProcess(looper.name, pids));
    }

    const memory = await shell.openKvMemory();
    expect(await memory.slots.count()).toBe(1);
    await expectAtLeast(memory.swapRows('swapped out'), 1);
    await expectAtLeast(memory.swapRows('swapped in'), 1);
    await expectText(memory.swapActivity, new RegExp(`pid (${pids.join('|')})[\\s\\S]*swapped (out|in)[\\s\\S]*ram[\\s\\S]*(KiB|MiB)`));
    await expectAtLeast(memory.swappedRows, 1);
    await expectText(memory.swappedRows, /RAM \(\/dev\/shm\)\s+[\d.]+ (KiB|MiB)/);
    await expectText(memory.slots, /Looper pid \d+/);
    await expectText(memory.pagedMemory, /long-term memory: available/);
    await expectText(memory.pagedMemory, /paged out: [1-9]\d* blocks/);
    await expectAtLeast(memory.pagedBlocks, 1);
    await expectText(memory.pagedBlocks.first(), /\d+ tok[\s\S]*Step \d+:/);
    // The search box asks the kernel (memory.blocks): hybrid search over all of the agent's paged memory.
    await memory.searchPaged('Step 1 Result 1');
    await expectAtLeast(memory.searchResults, 1);
    await expectText(memory.searchResults.first(), /\d+ tok[\s\S]*score \d\.\d{3}[\s\S]*Step \d+:/);
    await screenshot('kv-memory');
    await memory.searchPaged('');

    await shell.openTaskManager();
    // One of the two is out of the slot at any moment: its KV cell shows the swapped size.
    await expect
      .poll(async () => (await Promise.all(pids.map((pid) => taskManager.kvOf(pid)))).join(' | '), { timeout: UI_TIMEOUT, interval: 100 })
      .toMatch(/[\d.]+ (KiB|MiB) ram/);
    // Their history no longer fits the small window: the paged-out share shows beside the context.
    await expect.poll(() => taskManager.contextOf(pids[0]!), { timeout: UI_TIMEOUT, interval: 100 }).toMatch(/\+\d/);
    await screenshot('task-manager-swapping');
    for (const pid of pids) await taskManager.kill(pid);
  });
}
