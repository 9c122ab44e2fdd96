import type { Booking } from "../../processors/booking-state.ts";
import { toEventRow } from "../../processors/clickhouse-rows.ts";
import { newBooking } from "../../processors/project-booking-state.ts";
import type { ProcessedEvent } from "../../processors/step-result.ts";
import { generateWeddingData, type GenerateOptions } from "../generate-wedding-data.ts";
import { scaleForEventCount } from "../scale-to-event-count.ts";

/** Generated wide `events` rows (EVENT_COLUMNS order) and how many belong to each organisation. */
export interface GeneratedEventRows {
  rows: unknown[][];
  rowsByOrg: Map<string, number>;
}

/** The booking a processor would hold after booking.created: all toEventRow reads from it is fixed at creation. */
function bookingFromCreated(pe: ProcessedEvent): Booking | undefined {
  return pe.event.type === "booking.created" ? newBooking(pe.orgId, pe.event) : undefined;
}

/**
 * Exactly `events` generated events as the wide rows the processors write, built with the product's `toEventRow`.
 * Instead of the pipeline's Postgres state, a Map of bookings kept while generating supplies what the processor
 * enriches payments and refunds with (supplier, service, region, venue): none of it changes after booking.created.
 * The org key stands in for the org id; offsets are consecutive on one partition; received = occurred.
 */
export function generateEventRows(
  options: Omit<GenerateOptions, "scale" | "maxEvents" | "invalidRate" | "duplicateRate">,
  events: number,
): GeneratedEventRows {
  const scale = scaleForEventCount(options, events);
  const bookings = new Map<string, Booking>();
  const rows: unknown[][] = [];
  const rowsByOrg = new Map<string, number>();
  for (const { orgKey, event } of generateWeddingData({ ...options, scale, maxEvents: events })) {
    const offset = rows.length;
    const pe: ProcessedEvent = { orgId: orgKey, receivedAt: event.occurredAt, event, partition: 0, offset };
    const created = bookingFromCreated(pe);
    if (created !== undefined) bookings.set(`${orgKey}/${created.bookingId}`, created);
    const bookingId = (event.data as { bookingId?: unknown }).bookingId;
    const booking = typeof bookingId === "string" ? bookings.get(`${orgKey}/${bookingId}`) : undefined;
    rows.push(toEventRow(pe, booking));
    rowsByOrg.set(orgKey, (rowsByOrg.get(orgKey) ?? 0) + 1);
  }
  return { rows, rowsByOrg };
}
