import type { BookingChange, BookingState } from "./booking-state.ts";
import { isoTime } from "./state-sql.ts";
import type { ProcessedEvent } from "./step-result.ts";

/** Where projected booking events go: the batch's BookingState, or any holder of booking groups. */
export type BookingSink = Pick<BookingState, "addChange" | "addPayment" | "addRefund">;

/**
 * Adds an accepted booking, update, cancellation, payment or refund to its booking's group. Nothing here decides
 * anything: what an event means for the booking's figures is folded from the whole group afterwards (foldBooking,
 * BookingState.relink), so an event that arrives before the one it refers to simply waits in the group.
 */
export function createProjectBookingStateStep() {
  return function projectBookingState(
    { orgId, receivedAt, event }: ProcessedEvent,
    state: BookingSink,
    content: string,
  ): void {
    const occurredAt = isoTime(event.occurredAt);
    const received = isoTime(receivedAt);
    const noFigures = {
      weddingDate: null,
      guestCount: null,
      contractAmount: null,
      contractCurrency: null,
      feeAmount: null,
      feeCurrency: null,
      linked: false,
    };
    const change = (type: BookingChange["type"], bookingId: string, weddingId: string): BookingChange => ({
      orgId,
      bookingId,
      weddingId,
      eventId: event.id,
      type,
      occurredAt,
      receivedAt: received,
      ...noFigures,
    });
    switch (event.type) {
      case "booking.created": {
        const d = event.data;
        state.addChange(
          {
            ...change(event.type, d.bookingId, d.weddingId),
            weddingDate: d.weddingDate,
            guestCount: d.guestCount,
            contractAmount: d.contractValue.amount,
            contractCurrency: d.contractValue.currency,
            linked: true,
          },
          {
            orgId,
            bookingId: d.bookingId,
            weddingId: d.weddingId,
            supplierId: d.supplierId,
            service: d.service,
            region: d.region ?? null,
            venueId: d.venueId ?? null,
            eventId: event.id,
            occurredAt,
            content,
          },
        );
        return;
      }
      case "booking.updated": {
        const d = event.data;
        state.addChange({
          ...change(event.type, d.bookingId, d.weddingId),
          weddingDate: d.weddingDate ?? null,
          guestCount: d.guestCount ?? null,
          contractAmount: d.contractValue?.amount ?? null,
          contractCurrency: d.contractValue?.currency ?? null,
        });
        return;
      }
      case "booking.cancelled": {
        const d = event.data;
        state.addChange({
          ...change(event.type, d.bookingId, d.weddingId),
          feeAmount: d.cancellationFee?.amount ?? null,
          feeCurrency: d.cancellationFee?.currency ?? null,
        });
        return;
      }
      case "payment.received": {
        const d = event.data;
        state.addPayment({
          orgId,
          paymentId: d.paymentId,
          bookingId: d.bookingId,
          weddingId: d.weddingId,
          amount: d.amount.amount,
          currency: d.amount.currency,
          occurredAt,
          receivedAt: received,
          eventId: event.id,
          content,
          linked: false,
        });
        return;
      }
      case "payment.refunded": {
        const d = event.data;
        state.addRefund({
          orgId,
          refundId: d.refundId,
          paymentId: d.paymentId,
          bookingId: d.bookingId,
          weddingId: d.weddingId,
          amount: d.amount.amount,
          currency: d.amount.currency,
          occurredAt,
          receivedAt: received,
          eventId: event.id,
          content,
          linked: false,
          paymentKnown: false,
        });
        return;
      }
      default:
        return;
    }
  };
}
