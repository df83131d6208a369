// Daily series for charts: the API leaves out days without activity; charts need every day.

/** The `days` UTC dates ending with `end` (inclusive), oldest first, as `YYYY-MM-DD`. */
export function lastDays(days: number, end: Date = new Date()): string[] {
  const out: string[] = [];
  const last = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate());
  for (let i = days - 1; i >= 0; i--) {
    out.push(new Date(last - i * 86_400_000).toISOString().slice(0, 10));
  }
  return out;
}

/** The value of each day in `days`, taken from `rows` (by `day`), zero where absent. */
export function fillDays<T extends { day: string }>(
  days: readonly string[],
  rows: readonly T[],
  value: (row: T) => number,
): number[] {
  const byDay = new Map(rows.map((r) => [r.day, value(r)]));
  return days.map((d) => byDay.get(d) ?? 0);
}
