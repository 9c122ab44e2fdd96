import type { SqlClient } from "../../platform/sql/sql-client.ts";
import type { RevenueQuery, RevenueRow } from "../../query-api/revenue-query.ts";

const BUCKET_SQL: Record<RevenueQuery["interval"], string> = {
  day: "to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
  week: "to_char(date_trunc('week', t AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
  month: "to_char(date_trunc('month', t AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
};
const GROUP_SQL: Record<RevenueQuery["groupBy"], string> = { none: "''", service: "service", region: "region" };

/**
 * The revenue question of queryRevenue asked of the Postgres `table`, with the same definitions: bookings bucketed
 * by their creation day (UTC) at their latest contract value, payments and refunds by their own day, per currency.
 */
export async function queryPostgresRevenue(sql: SqlClient, table: string, q: RevenueQuery): Promise<RevenueRow[]> {
  const created = "FILTER (WHERE type = 'booking.created')";
  const rows = await sql.query<Record<string, string>>(
    `WITH
      bookings AS (
        SELECT
          booking_id,
          min(occurred_at) ${created} AS t,
          max(service) ${created} AS b_service,
          max(region) ${created} AS b_region,
          max(currency) ${created} AS b_currency,
          (array_agg(amount ORDER BY occurred_at DESC, log_offset DESC) FILTER (WHERE currency <> ''))[1] AS b_value
        FROM ${table}
        WHERE org_id = $1 AND type IN ('booking.created', 'booking.updated')
        GROUP BY booking_id
        HAVING count(*) ${created} > 0
           AND min(occurred_at) ${created} >= $2::date::timestamp AT TIME ZONE 'UTC'
           AND min(occurred_at) ${created} < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'
      ),
      facts AS (
        SELECT t, b_service AS service, b_region AS region, b_currency AS currency,
               1 AS bookings, b_value AS contract_value, 0::bigint AS received, 0::bigint AS refunded
        FROM bookings
        UNION ALL
        SELECT occurred_at, service, region, currency, 0, 0,
               CASE WHEN type = 'payment.received' THEN amount ELSE 0 END,
               CASE WHEN type = 'payment.refunded' THEN amount ELSE 0 END
        FROM ${table}
        WHERE org_id = $1 AND type IN ('payment.received', 'payment.refunded')
          AND occurred_at >= $2::date::timestamp AT TIME ZONE 'UTC'
          AND occurred_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'
      )
    SELECT ${BUCKET_SQL[q.interval]} AS bucket, ${GROUP_SQL[q.groupBy]} AS grp, currency,
           sum(bookings)::text AS bookings, sum(contract_value)::text AS contract_value,
           sum(received)::text AS received, sum(refunded)::text AS refunded
    FROM facts
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3`,
    [q.orgId, q.from, q.to],
  );
  return rows.map((row) => ({
    bucket: row.bucket!,
    group: q.groupBy === "none" || row.grp === "" || row.grp === null ? null : row.grp!,
    currency: row.currency!,
    bookings: Number(row.bookings),
    contractValue: Number(row.contract_value),
    paymentsReceived: Number(row.received),
    refunds: Number(row.refunded),
  }));
}
