import { afterAll, expect } from 'vitest';

/**
 * The attacks of a hostile test file must be refused by the boundary itself, never by the
 * last-resort handler: this watches `uncaughtExceptionMonitor` (which changes no behaviour) for
 * the whole file and fails it if anything got that far.
 */
export function expectNoUncaughtExceptions(): void {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);
  process.on('uncaughtExceptionMonitor', onUncaught);
  afterAll(() => {
    process.off('uncaughtExceptionMonitor', onUncaught);
    expect(uncaught).toEqual([]);
  });
}
