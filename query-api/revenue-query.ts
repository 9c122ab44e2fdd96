import type { ClickHouseClient } from "@clickhouse/client";

/** Time buckets the revenue question can be asked in. */
export const REVENUE_INTERVALS = ["day", "week", "month"] as const;
/** Dimensions revenue can be split by, besides currency. */
export const REVENUE_GROUPS = ["none", "service", "region"] as const;

/** A revenue question for one organisation; `from` and `to` are UTC calendar dates, both inclusive. */
export interface RevenueQuery {
  orgId: string;
  from: string;
  to: string;
  interval: (typeof REVENUE_INTERVALS)[number];
  groupBy: (typeof REVENUE_GROUPS)[number];
}

/**
 * One bucket × group × currency. Amounts are integer minor units of `currency`; figures in
 * different currencies are never added together.
 */
export interface RevenueRow {
  /** First day of the bucket, YYYY-MM-DD (weeks start on Monday). */
  bucket: string;
  /** The service or region, or null when groupBy is none (or the region was not given). */
  group: string | null;
  currency: string;
  /** Bookings created in the bucket. */
  bookings: number;
  /** Contract value of those bookings, as last updated. */
  contractValue: number;
  /** Payments received in the bucket. */
  paymentsReceived: number;
  /** Refunds paid out in the bucket. */
  refunds: number;
}

// Identifiers come from these whitelists only; user values are bound as {name:Type} parameters.
const BUCKET_SQL: Record<RevenueQuery["interval"], string> = {
  day: "day",
  week: "toMonday(day)",
  month: "toStartOfMonth(day)",
};
const GROUP_SQL: Record<RevenueQuery["groupBy"], string> = {
  none: "''",
  service: "service",
  region: "region",
};

/**
 * Revenue per bucket, group and currency for one organisation, from the revenue rollup (`revenue_daily`, written by the
 * processors): bookings count on the day they were created, at their latest contract value; payments and refunds on the
 * day they happened. FINAL keeps each total's newest version, whatever replays wrote; partitions are summed.
 */
export async function queryRevenue(ch: ClickHouseClient, q: RevenueQuery): Promise<RevenueRow[]> {
  return JSON.parse(await queryRevenueJson(ch, q)) as RevenueRow[];
}

/**
 * The revenue question as a ClickHouse SELECT of RevenueRow columns, in RevenueRow order and sorted, with every user
 * value bound as a parameter and no FORMAT or SETTINGS clause: the API's answer runner sends its rows in the format the
 * caller asked for. Sums are exact integers below 2^53 (minor units).
 */
export function revenueSelect(q: RevenueQuery): { query: string; params: Record<string, string> } {
  // The inner query's names differ from the table's columns (an alias equal to a column it aggregates would refer to
  // itself); the outer one gives each column its RevenueRow name, with no group (groupBy none, or a region not given)
  // as null.
  const query = `
    SELECT
      bucket,
      nullIf(grp, '') AS \`group\`,
      currency,
      n AS bookings,
      contract AS contractValue,
      received AS paymentsReceived,
      refunded AS refunds
    FROM (
      SELECT
        toString(${BUCKET_SQL[q.interval]}) AS bucket,
        ${GROUP_SQL[q.groupBy]} AS grp,
        currency,
        sum(bookings) AS n,
        sum(contract_value) AS contract,
        sum(payments_received) AS received,
        sum(refunds) AS refunded
      FROM revenue_daily FINAL
      WHERE org_id = {orgId:String} AND day >= {from:Date} AND day <= {to:Date}
      GROUP BY bucket, grp, currency
    )
    ORDER BY bucket, grp, currency`;
  return { query, params: { orgId: q.orgId, from: q.from, to: q.to } };
}

/**
 * The same answer as `queryRevenue`, as the JSON text of a RevenueRow[] written by ClickHouse itself, for callers that
 * want the whole answer at once (the query benchmark). 64-bit sums are written as JSON numbers rather than the strings
 * ClickHouse uses for them by default.
 */
export async function queryRevenueJson(ch: ClickHouseClient, q: RevenueQuery): Promise<string> {
  const { query, params } = revenueSelect(q);
  const result = await ch.query({
    query: `${query}\n    SETTINGS output_format_json_quote_64bit_integers = 0, output_format_json_array_of_rows = 1`,
    query_params: params,
    format: "JSONEachRow",
  });
  return result.text();
}
