import type { OrgFacts, PaymentFact } from "./replay-events.ts";
import { sortBy } from "./rows.ts";

/** The anomaly kinds judged on the converged state, as the product names them. */
export const EXPECTED_ANOMALY_KINDS = [
  "currency_mismatch",
  "duplicate_payment",
  "orphan_payment",
  "orphan_refund",
  "orphan_update",
  "overpayment",
  "payment_after_cancellation",
  "refund_exceeds_paid",
] as const;

/** The kind of an anomaly judged on the converged state. */
export type ExpectedAnomalyKind = (typeof EXPECTED_ANOMALY_KINDS)[number];

/** An anomaly open on the converged state; its identity within the organisation is (kind, subject). */
export interface ExpectedAnomaly {
  kind: ExpectedAnomalyKind;
  /** A bookingId (overpayment), paymentId, refundId, or the event id of an update or cancellation. */
  subject: string;
  /** The booking the subject belongs to, when that booking exists in the subject's wedding; null otherwise. */
  bookingId: string | null;
  open: true;
}

/** An expected anomaly and when it sits in time, for questions over a range of days. */
export interface TimedAnomaly extends ExpectedAnomaly {
  /**
   * When its subject occurred, epoch milliseconds (a payment's, refund's, update's or cancellation's occurredAt); for
   * an overpayment, the latest of the booking's linked payments in its currency, which took it over.
   */
  at: number;
}

/** The clock the orphan rules need: without one, no orphan anomaly is expected. */
export interface OrphanClock {
  /** ORPHAN_GRACE_SECONDS, in milliseconds. */
  graceMs: number;
  /** The moment the anomalies are read, epoch milliseconds. */
  now: number;
  /**
   * When each event was received, epoch milliseconds, by event id; an event not in it counts as received when it
   * occurred. A fact carried by several event ids (re-sends under new ids) was received with its first.
   */
  receivedAt?: ReadonlyMap<string, number>;
}

/** What the rules need besides the events. */
export interface AnomalyOptions {
  /** The duplicate-payment window, in milliseconds. */
  duplicatePaymentWindowMs: number;
  /** With a clock, the orphans missing their referent for the grace period are open too. */
  orphans?: OrphanClock;
}

/**
 * Every anomaly open on the converged state of one organisation's facts, with its time, sorted by kind then subject.
 * - overpayment (subject bookingId): paid − refunded above the current contract value, in the booking's currency;
 * - duplicate_payment (subject paymentId): an earlier payment by (occurredAt, paymentId) naming the same booking, of the
 *   same amount and currency under another paymentId, at most the window before it;
 * - refund_exceeds_paid (subject paymentId): the refunds naming a known payment, in its currency, sum above it;
 * - payment_after_cancellation (subject paymentId): its booking exists and is cancelled, and it occurred after the
 *   cancellation that counts;
 * - currency_mismatch (subject paymentId, refundId or the cancellation's event id): linked money in another currency
 *   than the booking's current one; (subject the update's event id) an update moving the contract value into another
 *   currency than the booking was created in;
 * - with a clock, orphan_payment (subject paymentId: its booking does not exist in its wedding), orphan_refund (subject
 *   refundId: its payment is unknown), orphan_update (subject the update's or cancellation's event id: its booking does
 *   not exist in its wedding), once received at least the grace period before now.
 */
export function timedAnomalies(facts: OrgFacts, options: AnomalyOptions): TimedAnomaly[] {
  const found = new Map<string, TimedAnomaly>();
  const flag = (kind: ExpectedAnomalyKind, subject: string, bookingId: string | null, at: number) => {
    const key = `${kind}\u0000${subject}`;
    if (!found.has(key)) found.set(key, { kind, subject, bookingId, open: true, at });
  };
  const linkedId = (x: { linked: boolean; bookingId: string }) => (x.linked ? x.bookingId : null);

  const lastPaidAt = new Map<string, number>();
  for (const p of facts.payments) {
    const booking = p.linked ? facts.bookings.get(p.bookingId)! : undefined;
    if (booking === undefined) continue;
    if (p.currency === booking.currency) lastPaidAt.set(booking.bookingId, p.at);
    else flag("currency_mismatch", p.paymentId, booking.bookingId, p.at);
    if (booking.cancellation !== null && p.at > booking.cancellation.at)
      flag("payment_after_cancellation", p.paymentId, booking.bookingId, p.at);
  }
  // An overpaid booking has linked payments in its currency (its contract value is never negative).
  for (const b of facts.bookings.values())
    if (b.paid - b.refunded > b.contractValue)
      flag("overpayment", b.bookingId, b.bookingId, lastPaidAt.get(b.bookingId)!);
  for (const p of duplicatePayments(facts.payments, options.duplicatePaymentWindowMs))
    flag("duplicate_payment", p.paymentId, linkedId(p), p.at);

  const paymentsById = new Map(facts.payments.map((p) => [p.paymentId, p]));
  const refundedOf = new Map<string, number>();
  for (const r of facts.refunds) {
    const booking = r.linked ? facts.bookings.get(r.bookingId)! : undefined;
    if (booking !== undefined && r.currency !== booking.currency)
      flag("currency_mismatch", r.refundId, booking.bookingId, r.at);
    const payment = paymentsById.get(r.paymentId);
    if (payment !== undefined && r.currency === payment.currency)
      refundedOf.set(payment.paymentId, (refundedOf.get(payment.paymentId) ?? 0) + r.amount);
  }
  for (const [paymentId, refunded] of refundedOf) {
    const payment = paymentsById.get(paymentId)!;
    if (refunded > payment.amount) flag("refund_exceeds_paid", paymentId, linkedId(payment), payment.at);
  }
  for (const c of facts.changes) {
    if (!c.linked) continue;
    const booking = facts.bookings.get(c.bookingId)!;
    if (c.fee !== null && c.fee.currency !== booking.currency) flag("currency_mismatch", c.eventId, c.bookingId, c.at);
    if (c.contract !== null && c.contract.currency !== booking.createdCurrency)
      flag("currency_mismatch", c.eventId, c.bookingId, c.at);
  }

  const clock = options.orphans;
  if (clock !== undefined) {
    /** True when an event (received with the first of its ids) has waited out the grace period. */
    const overdue = (eventIds: readonly string[], at: number) => {
      const received = Math.min(...eventIds.map((id) => clock.receivedAt?.get(id) ?? at));
      return clock.now - received >= clock.graceMs;
    };
    for (const p of facts.payments)
      if (!p.linked && overdue(p.eventIds, p.at)) flag("orphan_payment", p.paymentId, null, p.at);
    for (const r of facts.refunds)
      if (!paymentsById.has(r.paymentId) && overdue(r.eventIds, r.at))
        flag("orphan_refund", r.refundId, linkedId(r), r.at);
    for (const c of facts.changes)
      if (!c.linked && overdue([c.eventId], c.at)) flag("orphan_update", c.eventId, null, c.at);
  }
  return sortBy(
    [...found.values()],
    (a) => a.kind,
    (a) => a.subject,
  );
}

/** Every anomaly open on the converged state of one organisation's facts, sorted by kind then subject. */
export function expectedAnomalies(facts: OrgFacts, options: AnomalyOptions): ExpectedAnomaly[] {
  return timedAnomalies(facts, options).map(({ kind, subject, bookingId, open }) => ({
    kind,
    subject,
    bookingId,
    open,
  }));
}

/**
 * The payments that repeat an earlier one: among the payments naming one booking with one amount and currency, sorted
 * by (occurredAt, paymentId), each one at most the window after its predecessor (the nearest earlier such payment).
 */
function duplicatePayments(payments: readonly PaymentFact[], windowMs: number): PaymentFact[] {
  const groups = new Map<string, PaymentFact[]>();
  // Payments arrive sorted by (at, paymentId), so each group is too.
  for (const p of payments) {
    const key = `${p.bookingId}\u0000${p.amount}\u0000${p.currency}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [p]);
    else group.push(p);
  }
  const duplicates: PaymentFact[] = [];
  for (const group of groups.values()) {
    for (let i = 1; i < group.length; i++) if (group[i]!.at - group[i - 1]!.at <= windowMs) duplicates.push(group[i]!);
  }
  return duplicates;
}
