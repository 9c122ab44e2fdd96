import { createHash } from "node:crypto";
import { type BookingChange, type BookingGroup, foldBooking, occursAfter, type Payment } from "./booking-state.ts";
import type { Anomaly, AnomalyKind } from "./step-result.ts";

/** The id of the anomaly of a kind about a subject in an organisation: the same whatever order its events came in. */
export function anomalyId(orgId: string, kind: AnomalyKind, subject: string): string {
  return createHash("sha256").update(`${orgId}\u0000${kind}\u0000${subject}`).digest("hex").slice(0, 32);
}

/** Payments by occurrence: by when they occurred, then by payment id. */
const byOccurrence = (a: Payment, b: Payment) =>
  Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || (a.paymentId < b.paymentId ? -1 : 1);

const money = (amount: number, currency: string) => ({ amount, currency });
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * The rules about one booking, judged on its converged state: everything known of its booking id, folded by
 * occurrence, so a late event re-judges them and what a rule said about a state that is gone no longer holds. Returns
 * every anomaly whose condition holds now, by id. Money is always counted whatever the rules say; they only flag.
 * - overpayment: the booking's linked payments net of refunds (in its currency) exceed its current contract value;
 * - duplicate_payment: a payment of the same amount and currency as an earlier one (by occurrence, then payment id)
 *   of the same booking and wedding, less than `windowMs` apart — the classic double charge;
 * - refund_exceeds_paid: the refunds of a payment (in its currency) exceed it;
 * - payment_after_cancellation: a payment that occurred after the booking's (counting) cancellation;
 * - currency_mismatch: a payment, refund or cancellation fee in another currency than the booking's, or an update
 *   that moves the contract value into another currency than the booking was created in.
 */
export function judgeBooking(group: BookingGroup, { windowMs }: { windowMs: number }): Map<string, Anomaly> {
  const found = new Map<string, Anomaly>();
  const { orgId, bookingId } = group;
  const booking = foldBooking(group);
  const flag = (
    kind: AnomalyKind,
    subject: string,
    at: { eventId: string; occurredAt: string; weddingId: string },
    severity: Anomaly["severity"],
    score: number,
    evidence: Record<string, unknown>,
  ) => {
    const id = anomalyId(orgId, kind, subject);
    found.set(id, {
      id,
      orgId,
      kind,
      subject,
      severity,
      score,
      bookingId,
      weddingId: at.weddingId,
      evidence,
      eventId: at.eventId,
      occurredAt: at.occurredAt,
    });
  };

  const payments = [...group.payments.values()].sort(byOccurrence);
  for (const [index, payment] of payments.entries()) {
    const twin = payments
      .slice(0, index)
      .reverse()
      .find(
        (q) =>
          q.weddingId === payment.weddingId &&
          q.amount === payment.amount &&
          q.currency === payment.currency &&
          Date.parse(payment.occurredAt) - Date.parse(q.occurredAt) <= windowMs,
      );
    if (twin !== undefined) {
      const minutesApart = Math.round((Date.parse(payment.occurredAt) - Date.parse(twin.occurredAt)) / 60_000);
      flag(
        "duplicate_payment",
        payment.paymentId,
        payment,
        minutesApart <= 60 ? "high" : "medium",
        round4(1 - minutesApart / (windowMs / 60_000)),
        {
          paymentId: payment.paymentId,
          earlierPaymentId: twin.paymentId,
          amount: money(payment.amount, payment.currency),
          minutesApart,
        },
      );
    }
    const refunds = [...group.refunds.values()].filter(
      (r) => r.paymentId === payment.paymentId && r.currency === payment.currency,
    );
    const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
    if (refunded > payment.amount) {
      const last = refunds.reduce((a, b) =>
        occursAfter({ at: b.occurredAt ?? "", id: b.refundId }, { at: a.occurredAt ?? "", id: a.refundId }) ? b : a,
      );
      flag(
        "refund_exceeds_paid",
        payment.paymentId,
        { ...payment, eventId: last.eventId ?? payment.eventId, occurredAt: last.occurredAt ?? payment.occurredAt },
        "high",
        round4((refunded - payment.amount) / payment.amount),
        {
          paymentId: payment.paymentId,
          paid: money(payment.amount, payment.currency),
          refunded: money(refunded, payment.currency),
          refundIds: refunds.map((r) => r.refundId).sort(),
        },
      );
    }
  }
  if (booking === undefined) return found;

  const linked = payments.filter((p) => p.linked);
  for (const payment of linked) {
    if (payment.currency !== booking.currency) {
      flag("currency_mismatch", payment.paymentId, payment, "medium", 1, {
        paymentId: payment.paymentId,
        amount: money(payment.amount, payment.currency),
        bookingCurrency: booking.currency,
      });
    }
    if (booking.cancelledAt !== null && Date.parse(payment.occurredAt) > Date.parse(booking.cancelledAt)) {
      flag("payment_after_cancellation", payment.paymentId, payment, "high", 1, {
        paymentId: payment.paymentId,
        amount: money(payment.amount, payment.currency),
        cancelledAt: booking.cancelledAt,
      });
    }
  }
  for (const refund of group.refunds.values()) {
    if (!refund.linked || refund.currency === booking.currency || refund.eventId === null) continue;
    flag(
      "currency_mismatch",
      refund.refundId,
      { eventId: refund.eventId, occurredAt: refund.occurredAt!, weddingId: refund.weddingId },
      "medium",
      1,
      { refundId: refund.refundId, amount: money(refund.amount, refund.currency), bookingCurrency: booking.currency },
    );
  }
  const ownChanges = [...group.changes.values()].filter((c) => c.weddingId === booking.weddingId);
  const createdIn = ownChanges.find((c) => c.type === "booking.created")?.contractCurrency;
  const cancellation = ownChanges
    .filter((c) => c.type === "booking.cancelled")
    .reduce<BookingChange | undefined>(
      (a, b) =>
        a === undefined || occursAfter({ at: a.occurredAt, id: a.eventId }, { at: b.occurredAt, id: b.eventId })
          ? b
          : a,
      undefined,
    );
  if (cancellation?.feeCurrency != null && cancellation.feeCurrency !== booking.currency) {
    flag("currency_mismatch", cancellation.eventId, cancellation, "medium", 1, {
      cancellationFee: money(cancellation.feeAmount ?? 0, cancellation.feeCurrency),
      bookingCurrency: booking.currency,
    });
  }
  for (const change of ownChanges) {
    if (change.type !== "booking.updated" || change.contractCurrency === null) continue;
    if (createdIn === undefined || change.contractCurrency === createdIn) continue;
    flag("currency_mismatch", change.eventId, change, "medium", 1, {
      contractValue: money(change.contractAmount!, change.contractCurrency),
      createdInCurrency: createdIn,
    });
  }

  const net = booking.paidAmount - booking.refundedAmount;
  const overBy = net - booking.contractAmount;
  const inCurrency = linked.filter((p) => p.currency === booking.currency);
  const last = inCurrency[inCurrency.length - 1];
  if (overBy > 0 && last !== undefined) {
    const ratio = booking.contractAmount === 0 ? 1 : overBy / booking.contractAmount;
    flag("overpayment", bookingId, last, ratio > 0.1 ? "high" : "medium", round4(ratio), {
      latestPaymentId: last.paymentId,
      contractValue: money(booking.contractAmount, booking.currency),
      netPaid: money(net, booking.currency),
      overBy: money(overBy, booking.currency),
    });
  }
  return found;
}
