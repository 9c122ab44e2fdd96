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
 * The cancellation figures of a revenue row (issue 12). Each cancelled booking counts in the bucket of the cancellation
 * that counts: its earliest by occurrence, whatever order the cancellations arrived in.
 */
export interface RevenueCancellations {
  /** Bookings whose counting cancellation occurred in the bucket, under their service, region and contract currency. */
  cancelledBookings: number;
  /**
   * The current contract value of those bookings (gross value they no longer bring), in their contract currency. They
   * stay counted in `bookings` and `contractValue` on the day they were created.
   */
  releasedContractValue: number;
  /** The fees of those cancellations, in the fee's currency (a cancellation without a fee adds 0). */
  cancellationFees: number;
}

/**
 * One bucket × group × currency. Amounts are integer minor units of `currency`; figures in different currencies are
 * never added together. The cancellation figures are optional here only so the oracle's and the generator's
 * hand-built rows, written before issue 12 gave revenue them, still type-check; every row queryRevenue and the endpoint
 * answer carries them (RevenueAnswerRow).
 */
export interface RevenueRow extends Partial<RevenueCancellations> {
  /** First day of the bucket, YYYY-MM-DD (weeks start on Monday). */
  bucket: string;
  /**
   * The service or region, or null when groupBy is none (or the region was not given, or the bucket's payments or
   * refunds belong to no existing booking).
   */
  group: string | null;
  currency: string;
  /**
   * Bookings created in the bucket (their booking.created occurred in it), cancelled ones included, under their
   * contract currency.
   */
  bookings: number;
  /** Current contract value of those bookings (the latest by occurrence), cancelled ones included. */
  contractValue: number;
  /** Payments received in the bucket, every one, in its own currency, whether or not its booking exists. */
  paymentsReceived: number;
  /** Refunds paid out in the bucket, every one, in its own currency, whether or not its payment or booking is known. */
  refunds: number;
}

/** A revenue row as queryRevenue and the revenue endpoint answer it: every figure present. */
export type RevenueAnswerRow = RevenueRow & RevenueCancellations;

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
 * processors): bookings count on the day they were created, at their current contract value; cancelled bookings, the
 * contract value they released and their fees on the day of the cancellation that counts; payments and refunds on the
 * day they happened. FINAL keeps each total's newest version, whatever replays wrote; partitions are summed, and a
 * bucket whose figures are all 0 (totals that moved elsewhere, such as a booking whose contract changed currency) is
 * no row.
 */
export async function queryRevenue(ch: ClickHouseClient, q: RevenueQuery): Promise<RevenueAnswerRow[]> {
  return JSON.parse(await queryRevenueJson(ch, q)) as RevenueAnswerRow[];
}

/**
 * The revenue question as a ClickHouse SELECT of RevenueAnswerRow columns, in the order of its fields and sorted, with every user
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
      refunded AS refunds,
      cancelled AS cancelledBookings,
      released AS releasedContractValue,
      fees AS cancellationFees
    FROM (
      SELECT
        toString(${BUCKET_SQL[q.interval]}) AS bucket,
        ${GROUP_SQL[q.groupBy]} AS grp,
        currency,
        sum(bookings) AS n,
        sum(contract_value) AS contract,
        sum(payments_received) AS received,
        sum(refunds) AS refunded,
        sum(cancelled_bookings) AS cancelled,
        sum(released_contract_value) AS released,
        sum(cancellation_fees) AS fees
      FROM revenue_daily FINAL
      WHERE org_id = {orgId:String} AND day >= {from:Date} AND day <= {to:Date}
      GROUP BY bucket, grp, currency
      HAVING n != 0 OR contract != 0 OR received != 0 OR refunded != 0 OR cancelled != 0 OR released != 0 OR fees != 0
    )
    ORDER BY bucket, grp, currency`;
  return { query, params: { orgId: q.orgId, from: q.from, to: q.to } };
}

/**
 * The same answer as `queryRevenue`, as the JSON text of a RevenueAnswerRow[] written by ClickHouse itself, for callers that
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
