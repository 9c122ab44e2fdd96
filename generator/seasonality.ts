import { monthOf, weekdayOf } from "./calendar.ts";
import type { Rng } from "./random.ts";

/** Relative popularity of each month for a wedding, January first: most weddings fall in May–September. */
export const WEDDING_MONTH_WEIGHTS = [0.15, 0.2, 0.3, 0.5, 0.85, 1, 1, 1, 0.95, 0.6, 0.25, 0.35] as const;

/** Relative popularity of each weekday for a wedding, Monday first: Saturdays dominate, then Fridays and Sundays. */
export const WEDDING_WEEKDAY_WEIGHTS = [0.04, 0.04, 0.04, 0.05, 0.25, 1, 0.2] as const;

/** Inquiry volume by month, January first, mean 1: engagements over Christmas fill January's inbox. */
export const INQUIRY_MONTH_FACTORS = [1.6, 1.35, 1.15, 1, 0.9, 0.8, 0.8, 0.85, 0.95, 0.95, 0.85, 0.8] as const;

/** Inquiry volume by weekday, Monday first, mean 1: couples plan on Sunday evenings. */
export const INQUIRY_WEEKDAY_FACTORS = [1.15, 1.05, 1, 0.95, 0.8, 0.85, 1.2] as const;

/** Fewest days between a first inquiry and the wedding. */
export const MIN_INQUIRY_LEAD_DAYS = 100;
/** Most days between a first inquiry and the wedding. */
export const MAX_INQUIRY_LEAD_DAYS = 560;

/** How many inquiries a day gets relative to the average day of the year. */
export function inquiryFactor(day: number): number {
  return INQUIRY_MONTH_FACTORS[monthOf(day)]! * INQUIRY_WEEKDAY_FACTORS[weekdayOf(day)]!;
}

/**
 * A wedding day for a couple inquiring on `inquiryDay`: the lead time is triangular around ten
 * months, and the day itself is accepted in proportion to its month's and weekday's popularity.
 */
export function sampleWeddingDay(rng: Rng, inquiryDay: number): number {
  const span = MAX_INQUIRY_LEAD_DAYS - MIN_INQUIRY_LEAD_DAYS;
  for (;;) {
    const day = inquiryDay + MIN_INQUIRY_LEAD_DAYS + Math.floor(span * ((rng.next() + rng.next()) / 2));
    const weight = WEDDING_MONTH_WEIGHTS[monthOf(day)]! * WEDDING_WEEKDAY_WEIGHTS[weekdayOf(day)]!;
    if (rng.next() < weight) return day;
  }
}
