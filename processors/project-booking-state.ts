import type { EventOf } from "../schemas/index.ts";
import type { Booking, BookingState } from "./booking-state.ts";
import type { ProcessedEvent } from "./step-result.ts";

/** The state of a booking as its booking.created event makes it. */
export function newBooking(orgId: string, event: EventOf<"booking.created">): Booking {
  const d = event.data;
  const at = new Date(event.occurredAt).toISOString();
  return {
    orgId,
    bookingId: d.bookingId,
    weddingId: d.weddingId,
    supplierId: d.supplierId,
    service: d.service,
    region: d.region ?? null,
    venueId: d.venueId ?? null,
    weddingDate: d.weddingDate,
    guestCount: d.guestCount,
    contractAmount: d.contractValue.amount,
    currency: d.contractValue.currency,
    status: "active",
    paidAmount: 0,
    refundedAmount: 0,
    cancellationFee: null,
    createdEventId: event.id,
    createdAt: at,
    updatedAt: at,
  };
}

/** Applies an accepted event to the batch's booking state (written back in the batch transaction). */
export function createProjectBookingStateStep() {
  return function projectBookingState({ orgId, event }: ProcessedEvent, state: BookingState): void {
    const at = new Date(event.occurredAt).toISOString();
    switch (event.type) {
      case "booking.created":
        state.putBooking(newBooking(orgId, event));
        return;
      case "booking.updated": {
        const booking = state.booking(orgId, event.data.bookingId)!;
        state.putBooking({
          ...booking,
          weddingDate: event.data.weddingDate ?? booking.weddingDate,
          guestCount: event.data.guestCount ?? booking.guestCount,
          contractAmount: event.data.contractValue?.amount ?? booking.contractAmount,
          updatedAt: at,
        });
        return;
      }
      case "booking.cancelled": {
        const booking = state.booking(orgId, event.data.bookingId)!;
        // The fee is in the booking's currency (checked by the booking rules); a cancellation naming none costs 0.
        const cancellationFee = event.data.cancellationFee?.amount ?? 0;
        state.putBooking({ ...booking, status: "cancelled", cancellationFee, updatedAt: at });
        return;
      }
      case "payment.received": {
        const booking = state.booking(orgId, event.data.bookingId)!;
        state.putPayment({
          orgId,
          paymentId: event.data.paymentId,
          bookingId: event.data.bookingId,
          amount: event.data.amount.amount,
          currency: event.data.amount.currency,
          occurredAt: at,
          eventId: event.id,
        });
        state.putBooking({ ...booking, paidAmount: booking.paidAmount + event.data.amount.amount, updatedAt: at });
        return;
      }
      case "payment.refunded": {
        const booking = state.booking(orgId, event.data.bookingId)!;
        state.putRefund({
          orgId,
          refundId: event.data.refundId,
          paymentId: event.data.paymentId,
          bookingId: event.data.bookingId,
          amount: event.data.amount.amount,
        });
        state.putBooking({
          ...booking,
          refundedAmount: booking.refundedAmount + event.data.amount.amount,
          updatedAt: at,
        });
        return;
      }
      default:
        return;
    }
  };
}
