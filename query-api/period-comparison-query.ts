import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import type { DayRange } from "./comparison-periods.ts";
import { engineQuery } from "./engine-question.ts";

/** The metrics a period comparison can be made of. */
export const COMPARISON_METRICS = [
  "bookings",
  "contractValue",
  "paymentsReceived",
  "refunds",
  "netRevenue",
  "inquiries",
] as const;
/** A metric a period comparison can be made of. */
export type ComparisonMetric = (typeof COMPARISON_METRICS)[number];

/** One metric over two ranges of UTC days. */
export interface PeriodComparisonQuery {
  metric: ComparisonMetric;
  current: DayRange;
  previous: DayRange;
}

/** The metric in both periods, per currency (null for inquiries, which have none). */
export interface PeriodComparisonRow {
  currency: string | null;
  current: number;
  previous: number;
  /** current − previous. */
  change: number;
  /** change / previous; null when previous is 0. */
  relativeChange: number | null;
}

/**
 * One engine question per day over the span of both periods (so the engine's own parameters are bound once); each day
 * is then summed into the period it falls in, and days of neither (between a period and its last-year twin) drop out.
 * A currency is listed when it has facts in either period.
 * The engine splits money by currency; counts of bookings are split by it too, inquiries have no currency.
 */
export function periodComparisonQuery(orgId: string, q: PeriodComparisonQuery): BoundQuery {
  const byCurrency = q.metric !== "inquiries";
  const inner = engineQuery(orgId, {
    metrics: [q.metric],
    groupBy: byCurrency ? ["currency"] : [],
    interval: "day",
    // biome-ignore lint/complexity/useMathMinMax: ISO dates compared as text, which Math.min cannot take
    from: q.previous.from < q.current.from ? q.previous.from : q.current.from,
    // biome-ignore lint/complexity/useMathMinMax: as above
    to: q.previous.to > q.current.to ? q.previous.to : q.current.to,
  });
  const query = `
    SELECT
      currency,
      sumIf(value, in_current) AS current,
      sumIf(value, in_previous) AS previous,
      current - previous AS change,
      if(previous = 0, NULL, change / previous) AS relativeChange
    FROM (
      SELECT
        ${byCurrency ? "currency" : "CAST(NULL AS Nullable(String))"} AS currency,
        ${q.metric} AS value,
        bucket >= {currentFrom:String} AND bucket <= {currentTo:String} AS in_current,
        bucket >= {previousFrom:String} AND bucket <= {previousTo:String} AS in_previous
      FROM (${inner.query})
    )
    GROUP BY currency
    HAVING countIf(in_current OR in_previous) > 0
    ORDER BY currency ASC NULLS FIRST`;
  return {
    query,
    params: {
      ...inner.params,
      currentFrom: q.current.from,
      currentTo: q.current.to,
      previousFrom: q.previous.from,
      previousTo: q.previous.to,
    },
  };
}
