/** The lengths of period a metric can be compared over. Seasons are meteorological: Mar–May, Jun–Aug, Sep–Nov, Dec–Feb. */
export const PERIODS = ["month", "quarter", "season", "year"] as const;
/** What a period is compared with: the one just before it, or the same period a year earlier. */
export const COMPARE_TO = ["previous", "lastYear"] as const;

/** A kind of period. */
export type Period = (typeof PERIODS)[number];
/** A kind of comparison. */
export type CompareTo = (typeof COMPARE_TO)[number];

/** An inclusive range of UTC calendar dates, YYYY-MM-DD. */
export interface DayRange {
  from: string;
  to: string;
}

const MONTHS: Record<Period, number> = { month: 1, quarter: 3, season: 3, year: 12 };

/** The month (0-based, may be negative: a month of the year before) a period containing month m starts in. */
function startMonth(period: Period, m: number): number {
  if (period === "month") return m;
  if (period === "quarter") return m - (m % 3);
  if (period === "year") return 0;
  // Seasons start in March, June, September and December; January and February belong to the December before.
  return m - ((m + 1) % 3);
}

/** The days of `months` months from month m of year y (Date.UTC carries months outside 0–11 into other years). */
function monthsFrom(y: number, m: number, months: number): DayRange {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(Date.UTC(y, m, 1)), to: day(Date.UTC(y, m + months, 0)) };
}

/** The period of the given kind containing the anchor day. */
export function periodContaining(period: Period, anchor: string): DayRange {
  const [y, m] = [Number(anchor.slice(0, 4)), Number(anchor.slice(5, 7)) - 1];
  return monthsFrom(y, startMonth(period, m), MONTHS[period]);
}

/** The period a period is compared with: the one before it, or the same one a year earlier. */
export function comparedPeriod(period: Period, current: DayRange, compareTo: CompareTo): DayRange {
  const [y, m] = [Number(current.from.slice(0, 4)), Number(current.from.slice(5, 7)) - 1];
  return monthsFrom(y, m - (compareTo === "previous" ? MONTHS[period] : 12), MONTHS[period]);
}
