import type { SqlQueryable } from "../platform/sql/sql-client.ts";
import { ANOMALY_VIEW_COLUMNS, anomalyView, type AnomalyView } from "./anomalies-query.ts";

/** One currency's figures of a day, in integer minor units of that currency (currencies are never added together). */
export interface TallyLine {
  currency: string;
  /** Bookings created on the day. */
  bookings: number;
  /** Contract value of those bookings, as last updated. */
  contractValue: number;
  /** Payments received on the day. */
  paymentsReceived: number;
  /** Refunds paid out on the day. */
  refunds: number;
}

/** An organisation's running figures for one UTC day, one line per currency (none before the first booking or payment). */
export interface Tally {
  day: string;
  currencies: TallyLine[];
}

/**
 * The day's tally of each organisation in orgIds (an organisation with no figures is absent from the map).
 *
 * Read from Postgres's revenue_daily rather than its ClickHouse copy: Postgres commits these totals in the same
 * transaction as the consumer offsets the watermark is read from, so a tally read after the watermark moved holds at
 * least what the watermark says; the read is a primary-key range on (org_id, day) for a few organisations, the small
 * and frequent kind of read a poller makes, where ClickHouse's FINAL is made for scans; and both halves of the feed
 * then come from one store.
 */
export async function queryTallies(sql: SqlQueryable, orgIds: string[], day: string): Promise<Map<string, Tally>> {
  // Sums of bigint are numeric; the adapters hand them over as numbers while exact (minor units stay far below 2^53).
  const rows = await sql.query(
    `SELECT org_id, currency, sum(bookings) AS bookings, sum(contract_value) AS contract_value,
            sum(payments_received) AS payments_received, sum(refunds) AS refunds
       FROM revenue_daily
      WHERE org_id = ANY($1::text[]) AND day = $2::date
      GROUP BY org_id, currency
      ORDER BY org_id, currency`,
    [orgIds, day],
  );
  const tallies = new Map<string, Tally>();
  for (const r of rows) {
    const orgId = String(r.org_id);
    const tally = tallies.get(orgId) ?? { day, currencies: [] };
    tally.currencies.push({
      currency: String(r.currency),
      bookings: Number(r.bookings),
      contractValue: Number(r.contract_value),
      paymentsReceived: Number(r.payments_received),
      refunds: Number(r.refunds),
    });
    tallies.set(orgId, tally);
  }
  return tallies;
}

/** An anomaly with its organisation and the log position of the event that raised it. */
export interface PositionedAnomaly {
  orgId: string;
  partition: number;
  offset: number;
  view: AnomalyView;
}

/**
 * The anomalies of orgIds raised by events in [from[p], to[p]) of each partition p, in log order (partition, offset,
 * then id); at most `limit` of them if given.
 */
export async function queryAnomalyWindow(
  sql: SqlQueryable,
  q: { orgIds: string[]; from: number[]; to: number[]; limit?: number },
): Promise<PositionedAnomaly[]> {
  // One range per partition, joined on (log_partition, log_offset): the anomalies_by_position index answers it.
  const rows = await sql.query(
    `SELECT org_id, log_partition, log_offset, ${ANOMALY_VIEW_COLUMNS}
       FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS w(p, lo, hi)
       JOIN anomalies ON log_partition = w.p AND log_offset >= w.lo AND log_offset < w.hi
      WHERE org_id = ANY($1::text[])
      ORDER BY log_partition, log_offset, id
      LIMIT $5`,
    [q.orgIds, q.to.map((_, p) => p), q.from, q.to, q.limit ?? null],
  );
  return rows.map((r) => ({
    orgId: String(r.org_id),
    partition: Number(r.log_partition),
    offset: Number(r.log_offset),
    view: anomalyView(r),
  }));
}
