/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/** Days since 1970-01-01 (UTC) of a YYYY-MM-DD calendar date; throws on anything else. */
export function dayNumber(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (Number.isNaN(ms) || formatDay(ms / DAY_MS) !== date) throw new RangeError(`"${date}" is not a YYYY-MM-DD date`);
  return ms / DAY_MS;
}

/** The YYYY-MM-DD spelling of a day number. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Two-digit spellings of 0–59, for clock times. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, "0"));

/** Day spellings already made; every event names a date or two, and Date#toISOString is slow. */
const dayNameCache = new Map<number, string>();

/** The YYYY-MM-DD spelling of a day number, made once per day and then looked up. */
export function dayName(day: number): string {
  let name = dayNameCache.get(day);
  if (name === undefined) {
    name = formatDay(day);
    dayNameCache.set(day, name);
  }
  return name;
}

/** The ISO 8601 instant of an epoch-millisecond time, to the second, e.g. 2026-06-13T14:03:00Z. */
export function formatInstant(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const date = dayName(day);
  const seconds = Math.floor((ms - day * DAY_MS) / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${date}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds % 60]}Z`;
}

/** The UTC day number an instant falls on. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** Day of the week of a day number: 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** The Monday starting the week of a day number (weeks start on Monday, as in ClickHouse's toMonday). */
export function mondayOf(day: number): number {
  return day - weekdayOf(day);
}

/** The first day of the month of a day number. */
export function firstOfMonth(day: number): number {
  const date = new Date(day * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / DAY_MS;
}

/** Month of a day number, 0 = January … 11 = December (civil-from-days arithmetic, no Date). */
export function monthOf(day: number): number {
  const shifted = day + 719_468;
  const dayOfEra = shifted - Math.floor(shifted / 146_097) * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const marchBased = Math.floor((5 * dayOfYear + 2) / 153);
  return marchBased < 10 ? marchBased + 2 : marchBased - 10;
}
