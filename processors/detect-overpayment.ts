import type { BookingState } from "./booking-state.ts";
import { ok, type ProcessedEvent, type StepResult } from "./step-result.ts";

/** Flags a payment that leaves a booking paid (net of refunds) above its contract value. */
export function createDetectOverpaymentStep() {
  return function detectOverpayment({ orgId, event }: ProcessedEvent, state: BookingState): StepResult {
    if (event.type !== "payment.received") return ok;
    const booking = state.booking(orgId, event.data.bookingId)!;
    const net = booking.paidAmount - booking.refundedAmount;
    const overBy = net - booking.contractAmount;
    if (overBy <= 0) return ok;
    const ratio = booking.contractAmount === 0 ? 1 : overBy / booking.contractAmount;
    return {
      kind: "flag",
      anomalies: [
        {
          id: `${event.id}:overpayment`,
          kind: "overpayment",
          severity: ratio > 0.1 ? "high" : "medium",
          score: Math.round(ratio * 10_000) / 10_000,
          bookingId: booking.bookingId,
          weddingId: booking.weddingId,
          evidence: {
            paymentId: event.data.paymentId,
            contractValue: { amount: booking.contractAmount, currency: booking.currency },
            netPaid: { amount: net, currency: booking.currency },
            overBy: { amount: overBy, currency: booking.currency },
          },
        },
      ],
    };
  };
}
