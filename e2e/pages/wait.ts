import type { Locator } from 'playwright';
import { expect } from 'vitest';

/** How long a page object waits for the live UI to reach a state: the tiny model is quick, the machine is not. */
export const UI_TIMEOUT = 30_000;

/** Waits until the locator's text matches. */
export async function expectText(locator: Locator, pattern: RegExp | string, timeout = UI_TIMEOUT): Promise<void> {
  await expect
    .poll(async () => ((await locator.count()) > 0 ? await locator.first().innerText() : ''), { timeout, interval: 100 })
    .toMatch(typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern);
}

/** Waits until the locator matches at least `count` elements; resolves to how many it found. */
export async function expectAtLeast(locator: Locator, count: number, timeout = UI_TIMEOUT): Promise<number> {
  await expect.poll(() => locator.count(), { timeout, interval: 100 }).toBeGreaterThanOrEqual(count);
  return locator.count();
}
