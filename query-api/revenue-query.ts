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
  day: "toDate(t)",
  week: "toMonday(t)",
  month: "toStartOfMonth(t)",
};
const GROUP_SQL: Record<RevenueQuery["groupBy"], string> = {
  none: "''",
  service: "service",
  region: "region",
};

/**
 * Revenue per bucket, group and currency for one organisation. Bookings are bucketed by the day
 * they were created and valued at their latest contract value; payments and refunds by the day
 * they happened. FINAL collapses any replayed duplicates not yet merged away.
 */
export async function queryRevenue(ch: ClickHouseClient, q: RevenueQuery): Promise<RevenueRow[]> {
  const bucket = BUCKET_SQL[q.interval];
  const group = GROUP_SQL[q.groupBy];
  const query = `
    WITH
      bookings AS (
        SELECT
          booking_id,
          minIf(occurred_at, type = 'booking.created') AS t,
          anyIf(service, type = 'booking.created') AS b_service,
          anyIf(region, type = 'booking.created') AS b_region,
          anyIf(currency, type = 'booking.created') AS b_currency,
          argMaxIf(amount, (occurred_at, log_offset), currency != '') AS b_value
        FROM events FINAL
        WHERE org_id = {orgId:String} AND type IN ('booking.created', 'booking.updated')
        GROUP BY booking_id
        HAVING countIf(type = 'booking.created') > 0
           AND t >= {from:Date} AND t < {to:Date} + 1
      ),
      facts AS (
        SELECT t, b_service AS service, b_region AS region, b_currency AS currency,
               1 AS bookings, b_value AS contract_value, 0 AS received, 0 AS refunded
        FROM bookings
        UNION ALL
        SELECT occurred_at AS t, service, region, currency, 0, 0,
               if(type = 'payment.received', amount, 0), if(type = 'payment.refunded', amount, 0)
        FROM events FINAL
        WHERE org_id = {orgId:String} AND type IN ('payment.received', 'payment.refunded')
          AND occurred_at >= {from:Date} AND occurred_at < {to:Date} + 1
      )
    SELECT
      toString(${bucket}) AS bucket,
      ${group} AS grp,
      currency,
      toString(sum(bookings)) AS bookings,
      toString(sum(contract_value)) AS contract_value,
      toString(sum(received)) AS received,
      toString(sum(refunded)) AS refunded
    FROM facts
    GROUP BY bucket, grp, currency
    ORDER BY bucket, grp, currency`;
  const result = await ch.query({
    query,
    query_params: { orgId: q.orgId, from: q.from, to: q.to },
    format: "JSONEachRow",
  });
  const rows = await result.json<Record<string, string>>();
  return rows.map((row) => ({
    bucket: row.bucket!,
    group: q.groupBy === "none" || row.grp === "" ? null : row.grp!,
    currency: row.currency!,
    bookings: Number(row.bookings),
    contractValue: Number(row.contract_value),
    paymentsReceived: Number(row.received),
    refunds: Number(row.refunded),
  }));
}
