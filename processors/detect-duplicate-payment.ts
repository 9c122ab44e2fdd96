import type { BookingState } from "./booking-state.ts";
import { ok, type ProcessedEvent, type StepResult } from "./step-result.ts";

/**
 * Flags a payment of the same amount to the same booking as another payment received within
 * `windowMs` (by when they occurred) — the classic double charge.
 */
export function createDetectDuplicatePaymentStep({ windowMs }: { windowMs: number }) {
  return function detectDuplicatePayment({ orgId, event }: ProcessedEvent, state: BookingState): StepResult {
    if (event.type !== "payment.received") return ok;
    const at = Date.parse(event.occurredAt);
    const twin = state
      .paymentsOf(orgId, event.data.bookingId)
      .find(
        (p) =>
          p.paymentId !== event.data.paymentId &&
          p.amount === event.data.amount.amount &&
          Math.abs(Date.parse(p.occurredAt) - at) <= windowMs,
      );
    if (!twin) return ok;
    const minutesApart = Math.round(Math.abs(Date.parse(twin.occurredAt) - at) / 60_000);
    return {
      kind: "flag",
      anomalies: [
        {
          id: `${event.id}:duplicate_payment`,
          kind: "duplicate_payment",
          severity: minutesApart <= 60 ? "high" : "medium",
          score: Math.round((1 - minutesApart / (windowMs / 60_000)) * 10_000) / 10_000,
          bookingId: event.data.bookingId,
          weddingId: event.data.weddingId,
          evidence: {
            paymentId: event.data.paymentId,
            earlierPaymentId: twin.paymentId,
            amount: event.data.amount,
            minutesApart,
          },
        },
      ],
    };
  };
}
