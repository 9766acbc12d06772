/** A five-field cron expression: minute hour day-of-month month day-of-week (0 = Sunday). */
export interface CronSchedule {
  readonly source: string;
  matches(date: Date): boolean;
  /** The first matching minute strictly after `after`. */
  next(after: Date): Date;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

function parseField(text: string, field: (typeof FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`cron ${field.name} "${part}" is not *, N, N-M or */S`);
    const from = match[1] === '*' ? field.min : Number(match[2]);
    const to = match[1] === '*' ? field.max : match[3] !== undefined ? Number(match[3]) : match[4] ? field.max : from;
    const step = match[4] ? Number(match[4]) : 1;
    if (from < field.min || to > field.max || from > to || step < 1) {
      throw new Error(`cron ${field.name} "${part}" is outside ${field.min}-${field.max}`);
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

export function parseCron(source: string): CronSchedule {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron "${source}" needs 5 fields (minute hour day month weekday)`);
  const [minutes, hours, days, months, weekdays] = parts.map((part, index) => parseField(part, FIELDS[index]!)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const matches = (date: Date): boolean =>
    minutes.has(date.getMinutes()) &&
    hours.has(date.getHours()) &&
    days.has(date.getDate()) &&
    months.has(date.getMonth() + 1) &&
    weekdays.has(date.getDay());
  return {
    source,
    matches,
    next(after) {
      const date = new Date(after.getTime());
      date.setSeconds(0, 0);
      date.setMinutes(date.getMinutes() + 1);
      // At most a leap year of minutes, skipping whole days and hours that cannot match.
      for (let guard = 0; guard < 366 * 24 * 60; guard++) {
        if (!months.has(date.getMonth() + 1) || !days.has(date.getDate()) || !weekdays.has(date.getDay())) {
          date.setDate(date.getDate() + 1);
          date.setHours(0, 0, 0, 0);
          continue;
        }
        if (!hours.has(date.getHours())) {
          date.setHours(date.getHours() + 1, 0, 0, 0);
          continue;
        }
        if (minutes.has(date.getMinutes())) return date;
        date.setMinutes(date.getMinutes() + 1);
      }
      throw new Error(`cron "${source}" never fires`);
    },
  };
}
