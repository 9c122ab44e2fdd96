import type { SqlClient } from "../../platform/sql/sql-client.ts";
import type { RevenueAnswerRow, RevenueQuery } from "../../query-api/revenue-query.ts";

const BUCKET_SQL: Record<RevenueQuery["interval"], string> = {
  day: "to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
  week: "to_char(date_trunc('week', t AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
  month: "to_char(date_trunc('month', t AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
};
const GROUP_SQL: Record<RevenueQuery["groupBy"], string> = { none: "''", service: "service", region: "region" };

/**
 * The revenue question of queryRevenue asked of the Postgres `table`, with the same definitions (issue 12's rules):
 * a created booking counts on its creation day (UTC) at its current contract value and in its contract currency (the
 * latest by occurredAt, then event id, among the create and the updates carrying one); a cancelled one counts again on
 * the day of its earliest cancellation, releasing that value, with the fee in the fee's currency; payments and refunds
 * count on their own day in their own currency. Updates and cancellations link within the booking's wedding. Buckets
 * whose figures are all 0 are left out.
 */
export async function queryPostgresRevenue(
  sql: SqlClient,
  table: string,
  q: RevenueQuery,
): Promise<RevenueAnswerRow[]> {
  const created = "FILTER (WHERE type = 'booking.created')";
  // Event ids compare as byte strings, whatever the database's collation.
  const latest = 'occurred_at DESC, id COLLATE "C" DESC';
  const earliest = 'occurred_at, id COLLATE "C"';
  const rows = await sql.query<Record<string, string>>(
    `WITH
      bookings AS (
        SELECT
          booking_id,
          min(occurred_at) ${created} AS created_at,
          max(service) ${created} AS b_service,
          max(region) ${created} AS b_region,
          (array_agg(currency ORDER BY ${latest}) FILTER (WHERE type <> 'booking.cancelled' AND currency <> ''))[1] AS b_currency,
          (array_agg(amount ORDER BY ${latest}) FILTER (WHERE type <> 'booking.cancelled' AND currency <> ''))[1] AS b_value,
          (array_agg(occurred_at ORDER BY ${earliest}) FILTER (WHERE type = 'booking.cancelled'))[1] AS cancelled_at,
          (array_agg(amount ORDER BY ${earliest}) FILTER (WHERE type = 'booking.cancelled'))[1] AS fee,
          (array_agg(currency ORDER BY ${earliest}) FILTER (WHERE type = 'booking.cancelled'))[1] AS fee_currency
        FROM ${table}
        WHERE org_id = $1 AND type IN ('booking.created', 'booking.updated', 'booking.cancelled')
        GROUP BY booking_id, wedding_id
        HAVING count(*) ${created} > 0
      ),
      facts AS (
        SELECT created_at AS t, b_service AS service, b_region AS region, b_currency AS currency,
               1 AS bookings, b_value AS contract_value, 0::bigint AS received, 0::bigint AS refunded,
               0 AS cancelled, 0::bigint AS released, 0::bigint AS fees
        FROM bookings
        UNION ALL
        SELECT cancelled_at, b_service, b_region, b_currency, 0, 0, 0, 0,
               1, b_value, CASE WHEN fee_currency IN ('', b_currency) THEN fee ELSE 0 END
        FROM bookings
        WHERE cancelled_at IS NOT NULL
        UNION ALL
        SELECT cancelled_at, b_service, b_region, fee_currency, 0, 0, 0, 0, 0, 0, fee
        FROM bookings
        WHERE cancelled_at IS NOT NULL AND fee_currency NOT IN ('', b_currency)
        UNION ALL
        SELECT occurred_at, service, region, currency, 0, 0,
               CASE WHEN type = 'payment.received' THEN amount ELSE 0 END,
               CASE WHEN type = 'payment.refunded' THEN amount ELSE 0 END,
               0, 0, 0
        FROM ${table}
        WHERE org_id = $1 AND type IN ('payment.received', 'payment.refunded')
      )
    SELECT ${BUCKET_SQL[q.interval]} AS bucket, ${GROUP_SQL[q.groupBy]} AS grp, currency,
           sum(bookings)::text AS bookings, sum(contract_value)::text AS contract_value,
           sum(received)::text AS received, sum(refunded)::text AS refunded,
           sum(cancelled)::text AS cancelled, sum(released)::text AS released, sum(fees)::text AS fees
    FROM facts
    WHERE t >= $2::date::timestamp AT TIME ZONE 'UTC' AND t < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1, 2, 3
    HAVING sum(bookings) <> 0 OR sum(contract_value) <> 0 OR sum(received) <> 0 OR sum(refunded) <> 0
        OR sum(cancelled) <> 0 OR sum(released) <> 0 OR sum(fees) <> 0
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
    cancelledBookings: Number(row.cancelled),
    releasedContractValue: Number(row.released),
    cancellationFees: Number(row.fees),
  }));
}
