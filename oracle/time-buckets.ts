import { dayName, dayNumber, dayOf, firstOfMonth, formatDay, mondayOf } from "../generator/calendar.ts";

/** A bucket of time the query API groups by. */
export type Interval = "day" | "week" | "month" | "quarter" | "year";

/** The first day of the bucket a YYYY-MM-DD day falls in, as the query API spells it (weeks start on Monday). */
export function bucketOf(day: string, interval: Interval): string {
  if (interval === "day") return day;
  if (interval === "week") return formatDay(mondayOf(dayNumber(day)));
  if (interval === "month") return formatDay(firstOfMonth(dayNumber(day)));
  if (interval === "year") return `${day.slice(0, 4)}-01-01`;
  const quarterMonth = Math.floor((Number(day.slice(5, 7)) - 1) / 3) * 3 + 1;
  return `${day.slice(0, 4)}-${String(quarterMonth).padStart(2, "0")}-01`;
}

/** The UTC day of an epoch-millisecond instant, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return dayName(dayOf(ms));
}
