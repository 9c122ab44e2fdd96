import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { engineQuery } from "./engine-question.ts";

/** Supplier performance over a range of UTC days (inclusive). */
export interface SupplierPerformanceQuery {
  from: string;
  to: string;
}

/** One supplier's figures in one currency, money in integer minor units. */
export interface SupplierPerformanceRow {
  supplierId: string;
  currency: string;
  /** Bookings created in the range (cancelled ones included). */
  bookings: number;
  /** Their contract value as last updated. */
  contractValue: number;
  /** Of those bookings, the ones cancelled since. */
  cancellations: number;
  /** Payments received in the range on the supplier's bookings. */
  paymentsReceived: number;
  /** Refunds paid in the range on them. */
  refunds: number;
  /** Anomalies flagged in the range on the supplier's bookings. */
  anomalies: number;
}

/**
 * The engine's booking and payment figures per supplier and currency, with the anomalies flagged on each supplier's
 * bookings (the `anomalies` table, FINAL so a replayed flag counts once) joined on. A flag sits on an event of the
 * booking in the range (so far, a payment), so its supplier and currency already have a row.
 */
export function supplierPerformanceQuery(orgId: string, q: SupplierPerformanceQuery): BoundQuery {
  const inner = engineQuery(orgId, {
    metrics: ["bookings", "contractValue", "cancellations", "paymentsReceived", "refunds"],
    groupBy: ["supplier"],
    from: q.from,
    to: q.to,
  });
  const query = `
    SELECT
      figures.supplier AS supplierId,
      figures.currency AS currency,
      bookings,
      contractValue,
      cancellations,
      paymentsReceived,
      refunds,
      flags.anomalies AS anomalies
    FROM (${inner.query}) AS figures
    LEFT JOIN (
      SELECT booked.supplier_id AS supplier, booked.cur AS currency, count() AS anomalies
      FROM (
        SELECT booking_id FROM anomalies FINAL
        WHERE org_id = {orgId:String} AND booking_id != ''
          AND toDate32(occurred_at) >= {anomaliesFrom:Date32} AND toDate32(occurred_at) <= {anomaliesTo:Date32}
      ) AS flagged
      INNER JOIN (
        SELECT booking_id, supplier_id, toString(currency) AS cur FROM events FINAL
        WHERE org_id = {orgId:String} AND type = 'booking.created'
      ) AS booked USING (booking_id)
      GROUP BY supplier, currency
    ) AS flags ON figures.supplier = flags.supplier AND figures.currency = flags.currency
    ORDER BY supplierId, currency`;
  return { query, params: { ...inner.params, anomaliesFrom: q.from, anomaliesTo: q.to } };
}
