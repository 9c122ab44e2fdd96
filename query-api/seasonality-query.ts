import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { engineQuery } from "./engine-question.ts";

/** Bookings by when their weddings fall, over a range of wedding dates (inclusive). */
export interface SeasonalityQuery {
  from: string;
  to: string;
  by: "month" | "weekday";
}

/** Bookings of one wedding month or weekday, in one currency. */
export interface SeasonalityRow {
  /** Month of the year of the wedding date, 1–12 (when by month). */
  month?: number;
  /** ISO weekday of the wedding date, 1 = Monday … 7 = Sunday (when by weekday). */
  weekday?: number;
  currency: string;
  /** Bookings (cancelled ones included) whose current wedding date (the latest by occurrence) falls there. */
  bookings: number;
  /** Of those, the ones cancelled. */
  cancellations: number;
  /** Their current contract value (the latest by occurrence), in integer minor units. */
  contractValue: number;
}

/** The engine's bookings, cancellations and contract value by wedding month or weekday, placed by wedding date. */
export function seasonalityQuery(orgId: string, q: SeasonalityQuery): BoundQuery {
  const dimension = q.by === "month" ? "weddingMonth" : "weekday";
  const inner = engineQuery(orgId, {
    metrics: ["bookings", "cancellations", "contractValue"],
    groupBy: [dimension],
    dateField: "wedding",
    from: q.from,
    to: q.to,
  });
  const query = `
    SELECT ${dimension} AS ${q.by}, currency, bookings, cancellations, contractValue
    FROM (${inner.query})
    ORDER BY ${q.by}, currency`;
  return { query, params: inner.params };
}
