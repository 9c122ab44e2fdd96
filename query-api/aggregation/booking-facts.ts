/**
 * "Latest by occurrence" and "earliest by occurrence" order events by this pair: when the event occurred, then its id
 * as a string (issue 12's rules). Arrival (log) order decides nothing. Ids are stored lowercase (the envelope
 * lowercases them) and `toString` of a UUID writes lowercase, so the string order is the one producers' ids have.
 */
export const BY_OCCURRENCE = "(occurred_at, toString(id))";

/**
 * The accepted events of some types of the organisation bound as `{orgId:String}`. FINAL keeps one row per event: a
 * replayed insert's copy collapses, and a payment or refund re-inserted with its booking's attributes once the booking
 * arrived keeps only that latest version. Every row is an accepted event: exact re-sends and same-content re-sends of a
 * business id are not inserted, conflicting versions are dead-lettered.
 */
export function eventsOf(types: readonly string[]): string {
  return `events FINAL WHERE org_id = {orgId:String} AND type IN (${types.map((t) => `'${t}'`).join(", ")})`;
}

/**
 * Every created booking of the organisation, one row each, as issue 12's rules define its current state from the set
 * of its events, whatever order they arrived in:
 * - `b_booking`, `b_wedding`, `b_supplier`, `b_service`, `b_region`, `b_venue` ('' when not given) and `b_created_at`:
 *   from its `booking.created`. A booking without one does not exist (yet), and nothing about it counts.
 * - `b_contract` and `b_currency`: amount and currency of the contract value of the latest-by-occurrence event among
 *   the create and the updates that carry one (an update without a contract value has currency ''); the booking's
 *   currency is that currency. `b_guests` and `b_wedding_day` likewise, each from the latest event carrying it;
 *   `b_wedding_day_at` is that event's (occurred_at, id), to choose among a wedding's bookings.
 * - `b_cancelled` (0/1): any `booking.cancelled` exists. The cancellation that counts is the earliest by occurrence:
 *   `b_cancelled_at` is when it occurred, `b_fee` and `b_fee_currency` its fee (0 and '' when it names none).
 * Updates and cancellations link to a booking only in the wedding it was created in: grouping by booking and wedding
 * leaves those naming another wedding in groups without a create, which HAVING drops (a booking id is created once).
 */
export const BOOKING_FACTS = `
  SELECT
    booking_id AS b_booking,
    wedding_id AS b_wedding,
    anyIf(supplier_id, type = 'booking.created') AS b_supplier,
    anyIf(toString(service), type = 'booking.created') AS b_service,
    anyIf(toString(region), type = 'booking.created') AS b_region,
    anyIf(venue_id, type = 'booking.created') AS b_venue,
    minIf(occurred_at, type = 'booking.created') AS b_created_at,
    argMaxIf((amount, toString(currency)), ${BY_OCCURRENCE}, type != 'booking.cancelled' AND currency != '') AS b_money,
    b_money.1 AS b_contract,
    b_money.2 AS b_currency,
    argMaxIf(guest_count, ${BY_OCCURRENCE}, type != 'booking.cancelled' AND guest_count IS NOT NULL) AS b_guests,
    argMaxIf(wedding_date, ${BY_OCCURRENCE}, type != 'booking.cancelled' AND wedding_date IS NOT NULL) AS b_wedding_day,
    maxIf(${BY_OCCURRENCE}, type != 'booking.cancelled' AND wedding_date IS NOT NULL) AS b_wedding_day_at,
    toUInt8(countIf(type = 'booking.cancelled') > 0) AS b_cancelled,
    argMinIf((occurred_at, amount, toString(currency)), ${BY_OCCURRENCE}, type = 'booking.cancelled') AS b_cancellation,
    b_cancellation.1 AS b_cancelled_at,
    b_cancellation.2 AS b_fee,
    b_cancellation.3 AS b_fee_currency
  FROM ${eventsOf(["booking.created", "booking.updated", "booking.cancelled"])}
  GROUP BY booking_id, wedding_id
  HAVING countIf(type = 'booking.created') > 0`;
