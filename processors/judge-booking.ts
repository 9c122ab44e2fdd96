import { createHash } from "node:crypto";
import { type BookingGroup, foldBooking, occursAfter, type Payment } from "./booking-state.ts";
import type { Anomaly, AnomalyKind } from "./step-result.ts";

/** The id of the anomaly of a kind about a subject in an organisation: the same whatever order its events came in. */
export function anomalyId(orgId: string, kind: AnomalyKind, subject: string): string {
  return createHash("sha256").update(`${orgId}\u0000${kind}\u0000${subject}`).digest("hex").slice(0, 32);
}

/** An anomaly as judged: `open` while its condition holds; false once it held (by occurrence) but no longer does. */
export type Judged = Anomaly & { open: boolean };

/** Payments by occurrence: by when they occurred, then by payment id. */
const byOccurrence = (a: Payment, b: Payment) =>
  Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || (a.paymentId < b.paymentId ? -1 : 1);

const money = (amount: number, currency: string) => ({ amount, currency });
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * The rules about one booking, judged on its converged state: everything known of its booking id, folded by
 * occurrence, so a late event re-judges them and what a rule said about a state that is gone no longer holds. Returns
 * every anomaly whose condition holds now, or (overpayment) held at some moment by occurrence, by id. Money is always
 * counted whatever the rules say; they only flag.
 * - overpayment: the booking's linked payments net of refunds (in its currency) exceed its contract value — open while
 *   they do now, resolved if they did at some moment in the order the events occurred but no longer do (a refund, a
 *   raised contract value); never raised if they never did, whatever order the events arrived in;
 * - duplicate_payment: a payment of the same amount and currency as an earlier one (by occurrence, then payment id)
 *   of the same booking and wedding, less than `windowMs` apart — the classic double charge;
 * - refund_exceeds_paid: the refunds of a payment (in its currency) exceed it;
 * - payment_after_cancellation: a payment that occurred after the booking's (counting) cancellation;
 * - currency_mismatch: a payment, refund or cancellation fee in another currency than the booking's, or an update
 *   that moves the contract value into another currency than the booking was created in.
 */
export function judgeBooking(
  group: BookingGroup,
  { windowMs }: { windowMs: number },
  booking = foldBooking(group),
): Map<string, Judged> {
  const found = new Map<string, Judged>();
  const { orgId, bookingId } = group;
  const flag = (
    kind: AnomalyKind,
    subject: string,
    at: { eventId: string; occurredAt: string; weddingId: string },
    severity: Anomaly["severity"],
    score: number,
    evidence: Record<string, unknown>,
    open = true,
  ) => {
    const id = anomalyId(orgId, kind, subject);
    found.set(id, {
      open,
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
  for (const change of ownChanges) {
    if (change.type !== "booking.cancelled" || change.feeCurrency === null) continue;
    if (change.feeCurrency === booking.currency) continue;
    flag("currency_mismatch", change.eventId, change, "medium", 1, {
      cancellationFee: money(change.feeAmount ?? 0, change.feeCurrency),
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

  const breach = firstOverpayment(group, booking.weddingId);
  if (breach !== undefined) {
    const net = booking.paidAmount - booking.refundedAmount;
    const overBy = net - booking.contractAmount;
    const open = overBy > 0;
    // An open overpayment shows the booking as it stands; one that has cleared shows it when it was overpaid.
    const figures = open ? { contract: booking.contractAmount, net, currency: booking.currency } : breach;
    const over = figures.net - figures.contract;
    const ratio = figures.contract === 0 ? 1 : over / figures.contract;
    flag(
      "overpayment",
      bookingId,
      { ...breach.at, weddingId: booking.weddingId },
      ratio > 0.1 ? "high" : "medium",
      round4(ratio),
      {
        paymentId: breach.paymentId,
        contractValue: money(figures.contract, figures.currency),
        netPaid: money(figures.net, figures.currency),
        overBy: money(over, figures.currency),
      },
      open,
    );
  }
  return found;
}

/** The booking's figures when it was first overpaid, walking its events in the order they occurred. */
interface Breach {
  at: { eventId: string; occurredAt: string };
  /** The payment that took the booking over (the latest linked payment up to that moment). */
  paymentId: string | null;
  contract: number;
  net: number;
  currency: string;
}

/**
 * The first moment, by occurrence, at which a booking's linked payments net of refunds in its currency exceeded its
 * contract value as it stood then; undefined if they never did. Events of one instant are taken in event-id order.
 */
function firstOverpayment(group: BookingGroup, weddingId: string): Breach | undefined {
  type Step = { at: string; id: string; apply: () => void };
  let lastPayment: string | null = null;
  let contract: { amount: number; currency: string } | undefined;
  const net = new Map<string, number>();
  const move = (currency: string, amount: number) => net.set(currency, (net.get(currency) ?? 0) + amount);
  const steps: Step[] = [];
  for (const change of group.changes.values()) {
    if (change.weddingId !== weddingId || change.contractAmount === null) continue;
    const value = { amount: change.contractAmount, currency: change.contractCurrency! };
    steps.push({ at: change.occurredAt, id: change.eventId, apply: () => (contract = value) });
  }
  for (const p of group.payments.values()) {
    if (!p.linked) continue;
    const apply = () => {
      move(p.currency, p.amount);
      lastPayment = p.paymentId;
    };
    steps.push({ at: p.occurredAt, id: p.eventId, apply });
  }
  for (const r of group.refunds.values()) {
    if (!r.linked || r.occurredAt === null) continue;
    steps.push({ at: r.occurredAt, id: r.eventId ?? r.refundId, apply: () => move(r.currency, -r.amount) });
  }
  steps.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const step of steps) {
    step.apply();
    if (contract === undefined) continue;
    const paid = net.get(contract.currency) ?? 0;
    if (paid > contract.amount) {
      return {
        at: { eventId: step.id, occurredAt: step.at },
        paymentId: lastPayment,
        contract: contract.amount,
        net: paid,
        currency: contract.currency,
      };
    }
  }
  return undefined;
}
