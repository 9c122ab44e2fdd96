import type { BookingState } from "./booking-state.ts";
import { ok, type ProcessedEvent, type StepResult } from "./step-result.ts";

const deadLetter = (reason: string, message: string): StepResult => ({
  kind: "deadLetter",
  reasons: [reason],
  message,
});

/**
 * Semantic rules that need state: an event about a booking must find it, in the same wedding and
 * currency, not cancelled; a refund must not exceed what is left of what was paid. A second copy
 * of an event already applied (the same event id in the log twice) is dropped, not counted again.
 */
export function createCheckBookingRulesStep() {
  return function checkBookingRules({ orgId, event }: ProcessedEvent, state: BookingState): StepResult {
    if (event.type === "booking.created") {
      const existing = state.booking(orgId, event.data.bookingId);
      if (!existing) return ok;
      if (existing.createdEventId === event.id) return { kind: "drop", reason: "already_applied" };
      return deadLetter("duplicate_booking_id", `booking ${event.data.bookingId} already exists`);
    }
    if (!("bookingId" in event.data)) return ok;
    const booking = state.booking(orgId, event.data.bookingId);
    if (!booking) return deadLetter("unknown_booking", `booking ${event.data.bookingId} is not known`);
    if (booking.weddingId !== event.data.weddingId) {
      return deadLetter(
        "wedding_mismatch",
        `booking ${booking.bookingId} belongs to wedding ${booking.weddingId}, not ${event.data.weddingId}`,
      );
    }
    const currencyDiffers = (currency: string) =>
      deadLetter(
        "currency_mismatch",
        `booking ${booking.bookingId} is in ${booking.currency}, this event in ${currency}`,
      );

    switch (event.type) {
      case "booking.updated":
        if (booking.status === "cancelled")
          return deadLetter("booking_cancelled", `booking ${booking.bookingId} is cancelled`);
        if (event.data.contractValue && event.data.contractValue.currency !== booking.currency) {
          return currencyDiffers(event.data.contractValue.currency);
        }
        return ok;
      case "booking.cancelled":
        if (booking.status === "cancelled") return { kind: "drop", reason: "already_cancelled" };
        if (event.data.cancellationFee && event.data.cancellationFee.currency !== booking.currency) {
          return currencyDiffers(event.data.cancellationFee.currency);
        }
        return ok;
      case "payment.received": {
        const existing = state.payment(orgId, event.data.paymentId);
        if (existing?.eventId === event.id) return { kind: "drop", reason: "already_applied" };
        if (existing) return deadLetter("duplicate_payment_id", `payment ${event.data.paymentId} was already received`);
        if (booking.status === "cancelled")
          return deadLetter("booking_cancelled", `booking ${booking.bookingId} is cancelled`);
        if (event.data.amount.currency !== booking.currency) return currencyDiffers(event.data.amount.currency);
        return ok;
      }
      case "payment.refunded": {
        if (state.refund(orgId, event.data.refundId)) return { kind: "drop", reason: "already_applied" };
        const payment = state.payment(orgId, event.data.paymentId);
        if (!payment || payment.bookingId !== booking.bookingId) {
          return deadLetter(
            "unknown_payment",
            `payment ${event.data.paymentId} of booking ${booking.bookingId} is not known`,
          );
        }
        if (event.data.amount.currency !== booking.currency) return currencyDiffers(event.data.amount.currency);
        const refundable = booking.paidAmount - booking.refundedAmount;
        if (event.data.amount.amount > refundable) {
          return deadLetter(
            "refund_exceeds_paid",
            `refund of ${event.data.amount.amount} exceeds the ${refundable} paid and not yet refunded`,
          );
        }
        return ok;
      }
      default:
        return ok;
    }
  };
}
