import type { Booking } from "../../processors/booking-state.ts";
import { toEventRow } from "../../processors/clickhouse-rows.ts";
import { newBooking } from "../../processors/project-booking-state.ts";
import { RevenueTotals } from "../../processors/revenue-totals.ts";
import type { ProcessedEvent } from "../../processors/step-result.ts";
import { generateWeddingData, type GenerateOptions } from "../generate-wedding-data.ts";
import { scaleForEventCount } from "../scale-to-event-count.ts";

/** Generated wide `events` rows (EVENT_COLUMNS order), the revenue rollup over them, and counts per organisation. */
export interface GeneratedEventRows {
  rows: unknown[][];
  /** `revenue_daily` rows (REVENUE_COLUMNS order): the totals a processor would hold after these events. */
  revenueRows: unknown[][];
  rowsByOrg: Map<string, number>;
}

/**
 * The booking as a processor would hold it after the event, for what rows read from it: created by booking.created,
 * its contract value changed by booking.updated; nothing else a row reads changes later.
 */
function bookingAfter(pe: ProcessedEvent, before: Booking | undefined): Booking | undefined {
  const { event } = pe;
  if (event.type === "booking.created") return newBooking(pe.orgId, event);
  if (event.type === "booking.updated" && before && event.data.contractValue) {
    return { ...before, contractAmount: event.data.contractValue.amount };
  }
  return before;
}

/**
 * Exactly `events` generated events as the wide rows the processors write, built with the product's `toEventRow`,
 * and the revenue rollup's totals over them, built with the product's `RevenueTotals`. Instead of the pipeline's
 * Postgres state, a Map of bookings kept while generating supplies what the processor enriches payments and refunds
 * with (supplier, service, region, venue) and the contract values. The org key stands in for the org id; offsets are
 * consecutive on one partition; received = occurred.
 */
export function generateEventRows(
  options: Omit<GenerateOptions, "scale" | "maxEvents" | "invalidRate" | "duplicateRate">,
  events: number,
): GeneratedEventRows {
  const scale = scaleForEventCount(options, events);
  const bookings = new Map<string, Booking>();
  const revenue = new RevenueTotals();
  const rows: unknown[][] = [];
  const rowsByOrg = new Map<string, number>();
  for (const { orgKey, event } of generateWeddingData({ ...options, scale, maxEvents: events })) {
    const offset = rows.length;
    const pe: ProcessedEvent = { orgId: orgKey, receivedAt: event.occurredAt, event, partition: 0, offset };
    const bookingId = (event.data as { bookingId?: unknown }).bookingId;
    const key = typeof bookingId === "string" ? `${orgKey}/${bookingId}` : undefined;
    const before = key === undefined ? undefined : bookings.get(key);
    const after = bookingAfter(pe, before);
    if (key !== undefined && after !== undefined) bookings.set(key, after);
    revenue.add(pe, before, after);
    rows.push(toEventRow(pe, after));
    rowsByOrg.set(orgKey, (rowsByOrg.get(orgKey) ?? 0) + 1);
  }
  return { rows, revenueRows: revenue.settleFromNothing(), rowsByOrg };
}
