import { BOOKING_FACTS } from "./aggregation/booking-facts.ts";
import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { engineQuery } from "./engine-question.ts";

/** Supplier performance over a range of UTC days (inclusive). */
export interface SupplierPerformanceQuery {
  from: string;
  to: string;
}

/** One supplier's figures in one currency, money in integer minor units. */
export interface SupplierPerformanceRow {
  /** The supplier; null for payments and refunds whose booking does not exist (yet), which belong to no supplier. */
  supplierId: string | null;
  currency: string;
  /** Bookings created in the range (cancelled ones included), in their contract currency. */
  bookings: number;
  /** Their current contract value (the latest by occurrence). */
  contractValue: number;
  /** Of those bookings, the ones cancelled, whenever the cancellation occurred. */
  cancellations: number;
  /** Payments received in the range on the supplier's bookings, in the payment's currency. */
  paymentsReceived: number;
  /** Refunds paid in the range on them, in the refund's currency. */
  refunds: number;
  /**
   * Open anomalies on the supplier's bookings whose subject occurred in the range, under the booking's current
   * currency.
   */
  anomalies: number;
}

/**
 * The engine's booking and payment figures per supplier and currency, with the open anomalies on each supplier's
 * bookings added. `anomalies` holds one row per anomaly (organisation, kind, subject), its latest judgement winning:
 * FINAL keeps that judgement, and only those still open (`open` = 1) count. A flag names its booking and wedding; it
 * counts under that booking's supplier and current currency when the booking was created in that wedding. Flags and
 * figures are summed per supplier and currency rather than joined, so a supplier whose only activity in the range, in a
 * currency, is a flag still gets a row.
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
      s_supplier AS supplierId,
      s_currency AS currency,
      sum(n_bookings) AS bookings,
      sum(n_contract) AS contractValue,
      sum(n_cancellations) AS cancellations,
      sum(n_payments) AS paymentsReceived,
      sum(n_refunds) AS refunds,
      sum(n_anomalies) AS anomalies
    FROM (
      SELECT
        CAST(supplier AS Nullable(String)) AS s_supplier,
        toString(currency) AS s_currency,
        toInt64(bookings) AS n_bookings,
        toInt64(contractValue) AS n_contract,
        toInt64(cancellations) AS n_cancellations,
        toInt64(paymentsReceived) AS n_payments,
        toInt64(refunds) AS n_refunds,
        toInt64(0) AS n_anomalies
      FROM (${inner.query})
      UNION ALL
      SELECT
        CAST(b_supplier AS Nullable(String)),
        b_currency,
        toInt64(0),
        toInt64(0),
        toInt64(0),
        toInt64(0),
        toInt64(0),
        toInt64(count())
      FROM (
        SELECT booking_id AS a_booking, wedding_id AS a_wedding FROM anomalies FINAL
        WHERE org_id = {orgId:String} AND open = 1 AND booking_id != ''
          AND toDate32(occurred_at) >= {anomaliesFrom:Date32} AND toDate32(occurred_at) <= {anomaliesTo:Date32}
      ) AS flagged
      INNER JOIN (${BOOKING_FACTS}) AS booked ON flagged.a_booking = booked.b_booking
      WHERE flagged.a_wedding = '' OR flagged.a_wedding = booked.b_wedding
      GROUP BY b_supplier, b_currency
    )
    GROUP BY s_supplier, s_currency
    ORDER BY supplierId ASC NULLS FIRST, currency`;
  return { query, params: { ...inner.params, anomaliesFrom: q.from, anomaliesTo: q.to } };
}
