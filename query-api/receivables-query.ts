import { BOOKING_FACTS, eventsOf } from "./aggregation/booking-facts.ts";
import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";

/** Ageing buckets of a receivable, by days left before the wedding date, in this order. */
export const RECEIVABLE_BUCKETS = ["overdue", "0-30", "31-60", "61-90", "over-90"] as const;
/** One ageing bucket. */
export type ReceivableBucket = (typeof RECEIVABLE_BUCKETS)[number];

/** A receivables question for one organisation. */
export interface ReceivablesQuery {
  /** The day days are counted from, YYYY-MM-DD (UTC). */
  asOf: string;
}

/** A list of the receivables of one bucket, or of every bucket. */
export interface ReceivableBookingsQuery extends ReceivablesQuery {
  bucket?: ReceivableBucket;
}

/** What is owed in one bucket and currency, in integer minor units. */
export interface ReceivablesRow {
  bucket: ReceivableBucket;
  currency: string;
  /** Active bookings with something left to pay. */
  bookings: number;
  /** Sum of their balances: contract value − paid + refunded (each booking's linked money in its currency). */
  outstanding: number;
}

/**
 * One active booking with a balance, and where it ages. Its currency is its current contract value's; paid and
 * refunded sum its linked payments and refunds (same booking and wedding) in that currency.
 */
export interface ReceivableBookingRow {
  bookingId: string;
  weddingId: string;
  supplierId: string;
  service: string;
  /** The current wedding date (the latest by occurrence among the create and the updates that set one). */
  weddingDate: string;
  /** Wedding date − asOf in days; negative once the wedding is past. */
  daysLeft: number;
  bucket: ReceivableBucket;
  currency: string;
  contractValue: number;
  paid: number;
  refunded: number;
  outstanding: number;
}

// Each active booking (created, never cancelled) as the set of its events defines it (BOOKING_FACTS: contract value,
// currency and wedding date by occurrence, whatever order they arrived in), with what was paid and refunded on it:
// its linked payments and refunds (the same booking id in the same wedding) in the booking's current currency. Money
// in another currency still counts in paymentsReceived and refunds, but never against this balance.
const OPEN_BOOKINGS = `
  SELECT
    b_booking AS booking_id,
    b_wedding AS wedding_id,
    b_supplier AS supplier_id,
    b_service AS service,
    b_currency AS currency,
    b_contract AS contract,
    m.paid AS paid,
    m.refunded AS refunded,
    contract - paid + refunded AS balance,
    assumeNotNull(b_wedding_day) AS wedding_date,
    toInt32(dateDiff('day', {asOf:Date}, wedding_date)) AS days_left,
    multiIf(days_left < 0, 'overdue', days_left <= 30, '0-30', days_left <= 60, '31-60', days_left <= 90, '61-90', 'over-90') AS bucket
  FROM (${BOOKING_FACTS}) AS b
  LEFT JOIN (
    SELECT
      booking_id AS m_booking,
      wedding_id AS m_wedding,
      toString(currency) AS m_currency,
      sumIf(amount, type = 'payment.received') AS paid,
      sumIf(amount, type = 'payment.refunded') AS refunded
    FROM ${eventsOf(["payment.received", "payment.refunded"])}
    GROUP BY booking_id, wedding_id, currency
  ) AS m ON m.m_booking = b.b_booking AND m.m_wedding = b.b_wedding AND m.m_currency = b.b_currency
  WHERE b_cancelled = 0 AND balance > 0`;

/**
 * Outstanding balances of the organisation's active (not cancelled) bookings, per ageing bucket and currency, in bucket
 * order, then currency: a ClickHouse SELECT of ReceivablesRow columns. Balances are current, from the set of events
 * whatever order they arrived in; `asOf` is the day the days left before each wedding are counted from.
 */
export function receivablesQuery(orgId: string, q: ReceivablesQuery): BoundQuery {
  const query = `
    SELECT bucket, currency, count() AS bookings, sum(balance) AS outstanding
    FROM (${OPEN_BOOKINGS})
    GROUP BY bucket, currency
    ORDER BY indexOf({buckets:Array(String)}, bucket), currency`;
  return { query, params: { orgId, asOf: q.asOf, buckets: RECEIVABLE_BUCKETS } };
}

/**
 * The bookings behind the receivables (of one bucket, or all), soonest wedding first, then by booking id: a ClickHouse
 * SELECT of ReceivableBookingRow columns, unpaged (the runner pages it).
 */
export function receivableBookingsQuery(orgId: string, q: ReceivableBookingsQuery): BoundQuery {
  const query = `
    SELECT
      booking_id AS bookingId,
      wedding_id AS weddingId,
      supplier_id AS supplierId,
      service,
      toString(wedding_date) AS weddingDate,
      days_left AS daysLeft,
      bucket,
      currency,
      contract AS contractValue,
      paid,
      refunded,
      balance AS outstanding
    FROM (${OPEN_BOOKINGS})
    WHERE {bucket:String} = '' OR bucket = {bucket:String}
    ORDER BY weddingDate, bookingId`;
  return { query, params: { orgId, asOf: q.asOf, bucket: q.bucket ?? "" } };
}
