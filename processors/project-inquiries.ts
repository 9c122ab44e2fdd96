import type { Booking } from "./booking-state.ts";
import type { ProjectionState } from "./projection-state.ts";
import { isoTime } from "./state-sql.ts";
import type { ProcessedEvent } from "./step-result.ts";

/** A booking as far as conversion cares: when it was created, and its id. */
type Created = Pick<Booking, "createdAt" | "bookingId">;

/** True when booking a was created before booking b (by when, then by id). */
function createdBefore(a: Created, b: Created): boolean {
  const delta = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  return delta < 0 || (delta === 0 && a.bookingId < b.bookingId);
}

/** The earliest created of the bookings, if any. */
function earliest(bookings: Booking[]): Booking | undefined {
  let best: Booking | undefined;
  for (const booking of bookings) if (best === undefined || createdBefore(booking, best)) best = booking;
  return best;
}

/**
 * Projects inquiries and their conversion into bookings. An inquiry converts into the earliest created booking of
 * the same organisation, wedding and service: matched when the booking is created after the inquiry arrived, or when
 * the inquiry arrives after the booking. Taking the earliest (not the first to arrive) makes the result the same
 * whichever order the two arrive in. An inquiry without a wedding cannot convert.
 */
export function createProjectInquiriesStep() {
  return function projectInquiries({ orgId, event }: ProcessedEvent, state: ProjectionState, content: string): void {
    switch (event.type) {
      case "inquiry.received": {
        const d = event.data;
        const weddingId = d.weddingId ?? null;
        const candidates = weddingId === null ? [] : state.bookings.bookingsOfWedding(orgId, weddingId);
        const booking = earliest(candidates.filter((b) => b.service === d.service));
        state.inquiries.putInquiry({
          orgId,
          inquiryId: d.inquiryId,
          weddingId,
          service: d.service,
          channel: d.channel,
          weddingDate: d.weddingDate ?? null,
          budgetAmount: d.budget?.amount ?? null,
          budgetCurrency: d.budget?.currency ?? null,
          receivedAt: isoTime(event.occurredAt),
          eventId: event.id,
          content,
          convertedBookingId: booking?.bookingId ?? null,
          convertedAt: booking?.createdAt ?? null,
        });
        return;
      }
      case "booking.created": {
        const created: Created = { createdAt: isoTime(event.occurredAt), bookingId: event.data.bookingId };
        for (const inquiry of state.inquiries.inquiriesOfWedding(orgId, event.data.weddingId)) {
          if (inquiry.service !== event.data.service) continue;
          const { convertedBookingId: bookingId, convertedAt: createdAt } = inquiry;
          if (bookingId !== null && !createdBefore(created, { bookingId, createdAt: createdAt! })) continue;
          const conversion = { convertedBookingId: created.bookingId, convertedAt: created.createdAt };
          state.inquiries.putInquiry({ ...inquiry, ...conversion });
        }
        return;
      }
      default:
        return;
    }
  };
}
