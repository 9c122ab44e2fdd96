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
  /** Sum of their balances: contract value − paid + refunded. */
  outstanding: number;
}

/** One active booking with a balance, and where it ages. */
export interface ReceivableBookingRow {
  bookingId: string;
  weddingId: string;
  supplierId: string;
  service: string;
  /** The wedding date as last changed. */
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

// Each booking's current state from its accepted events (FINAL: one row per event, whatever replays wrote). A booking's
// events share its wedding's log partition, so the highest log offset is the change applied last: the contract value
// and wedding date are the last ones set, as in the Postgres projection. Updates that leave a field unchanged carry no
// currency (contract value) or a null date.
const OPEN_BOOKINGS = `
  SELECT
    booking_id,
    wid AS wedding_id,
    sid AS supplier_id,
    svc AS service,
    cur AS currency,
    contract,
    paid,
    refunded,
    contract - paid + refunded AS balance,
    wdate AS wedding_date,
    toInt32(dateDiff('day', {asOf:Date}, wdate)) AS days_left,
    multiIf(days_left < 0, 'overdue', days_left <= 30, '0-30', days_left <= 60, '31-60', days_left <= 90, '61-90', 'over-90') AS bucket
  FROM (
    SELECT
      booking_id,
      anyIf(wedding_id, type = 'booking.created') AS wid,
      anyIf(supplier_id, type = 'booking.created') AS sid,
      anyIf(service, type = 'booking.created') AS svc,
      anyIf(currency, type = 'booking.created') AS cur,
      argMaxIf(amount, log_offset, type = 'booking.created' OR (type = 'booking.updated' AND currency != '')) AS contract,
      argMaxIf(assumeNotNull(wedding_date), log_offset, wedding_date IS NOT NULL) AS wdate,
      sumIf(amount, type = 'payment.received') AS paid,
      sumIf(amount, type = 'payment.refunded') AS refunded,
      countIf(type = 'booking.created') AS created,
      countIf(type = 'booking.cancelled') AS cancelled
    FROM events FINAL
    WHERE org_id = {orgId:String}
      AND type IN ('booking.created', 'booking.updated', 'booking.cancelled', 'payment.received', 'payment.refunded')
    GROUP BY booking_id
  )
  WHERE created = 1 AND cancelled = 0 AND balance > 0`;

/**
 * Outstanding balances of the organisation's active (not cancelled) bookings, per ageing bucket and currency, in bucket
 * order, then currency: a ClickHouse SELECT of ReceivablesRow columns. Balances are current (what the Postgres
 * projection's balance_amount holds); `asOf` is the day the days left before each wedding are counted from.
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
