import type { BookingState } from "./booking-state.ts";
import { checkBusinessId } from "./business-id.ts";
import { ok, type ProcessedEvent, type StepResult } from "./step-result.ts";

/**
 * What can be refused about a booking event before it joins its booking's group: nothing but a repeat. A booking,
 * payment or refund id names one fact (see checkBusinessId); an update or cancellation already folded in (the same
 * event id) is dropped. A reference that has not arrived yet is not a fault — the event waits in its group — and money
 * in another currency, a payment after a cancellation or a refund above what was paid are counted and flagged by the
 * booking rules (judge-booking.ts), never refused.
 */
export function createCheckBookingRulesStep() {
  return function checkBookingRules(
    { orgId, event }: ProcessedEvent,
    state: BookingState,
    content: string,
  ): StepResult {
    switch (event.type) {
      case "booking.created":
        return checkBusinessId(
          `booking ${event.data.bookingId}`,
          state.creationOf(orgId, event.data.bookingId),
          event,
          content,
        );
      case "booking.updated":
      case "booking.cancelled":
        return state.hasChange(orgId, event.data.bookingId, event.id)
          ? { kind: "drop", reason: "already_applied" }
          : ok;
      case "payment.received":
        return checkBusinessId(
          `payment ${event.data.paymentId}`,
          state.paymentVersion(orgId, event.data.paymentId),
          event,
          content,
        );
      case "payment.refunded":
        return checkBusinessId(
          `refund ${event.data.refundId}`,
          state.refundVersion(orgId, event.data.refundId),
          event,
          content,
        );
      default:
        return ok;
    }
  };
}
