import { describe, expect, it } from 'vitest';
import { parseCron } from './cron.js';

describe('cron', () => {
  it('finds the next weekday 9:00', () => {
    const schedule = parseCron('0 9 * * 1-5');
    // Saturday 2026-11-21 10:00 local → Monday 2026-11-23 09:00.
    const next = schedule.next(new Date(2026, 10, 21, 10, 0));
    expect([next.getFullYear(), next.getMonth(), next.getDate(), next.getHours(), next.getMinutes()]).toEqual([2026, 10, 23, 9, 0]);
  });

  it('steps, lists and ranges', () => {
    const schedule = parseCron('*/15 8-10,18 * * *');
    expect(schedule.next(new Date(2026, 0, 1, 8, 1)).getMinutes()).toBe(15);
    expect(schedule.next(new Date(2026, 0, 1, 10, 50)).getHours()).toBe(18);
    expect(schedule.matches(new Date(2026, 0, 1, 9, 30))).toBe(true);
    expect(schedule.matches(new Date(2026, 0, 1, 9, 31))).toBe(false);
  });

  it.each(['* * * *', '60 * * * *', '*/0 * * * *', 'a b c d e', '5-1 * * * *'])('refuses %s', (source) => {
    expect(() => parseCron(source)).toThrow(/cron/);
  });

  it('reports a schedule that can never fire', () => {
    expect(() => parseCron('0 0 31 2 *').next(new Date(2026, 0, 1))).toThrow(/never fires/);
  });
});
