import type { Booking } from "../../processors/booking-state.ts";
import { toEventRow } from "../../processors/clickhouse-rows.ts";
import { newBooking } from "../../processors/project-booking-state.ts";
import { RevenueTotals } from "../../processors/revenue-totals.ts";
import type { ProcessedEvent } from "../../processors/step-result.ts";
import { generateWeddingData, type GenerateOptions } from "../../generator/generate-wedding-data.ts";
import type { GeneratedItem } from "../../generator/generated-item.ts";
import { scaleForEventCount } from "../../generator/scale-to-event-count.ts";

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

/** How generated rows name their organisations: by the org key unless an id is given for it. */
export type OrgIdOf = (orgKey: string) => string;

/**
 * Exactly `events` generated events as the wide rows the processors write, built with the product's `toEventRow`,
 * `chunkRows` rows at a time so that any count fits in memory, and the revenue rollup's totals over all of them, built
 * with the product's `RevenueTotals` (in `summary` once the chunks are exhausted). Instead of the pipeline's Postgres
 * state, a Map of bookings kept while generating supplies what the processor enriches payments and refunds with
 * (supplier, service, region, venue) and the contract values. Offsets are consecutive on one partition; received =
 * occurred.
 */
export function* eventRowChunks(
  options: Omit<GenerateOptions, "scale" | "maxEvents" | "mismatchRate" | "duplicateRate" | "resendRate">,
  events: number,
  {
    chunkRows = 100_000,
    orgIdOf = (key: string) => key,
    onItem,
  }: {
    chunkRows?: number;
    orgIdOf?: OrgIdOf;
    /** Told of every generated item in order, before its row is built: for checks that need the events themselves. */
    onItem?: (item: GeneratedItem) => void;
  } = {},
  summary: Omit<GeneratedEventRows, "rows"> = { revenueRows: [], rowsByOrg: new Map() },
): Generator<unknown[][]> {
  const scale = scaleForEventCount(options, events);
  const bookings = new Map<string, Booking>();
  const revenue = new RevenueTotals();
  let chunk: unknown[][] = [];
  let offset = 0;
  for (const item of generateWeddingData({ ...options, scale, maxEvents: events })) {
    onItem?.(item);
    const { orgKey, event } = item;
    const orgId = orgIdOf(orgKey);
    const pe: ProcessedEvent = { orgId, receivedAt: event.occurredAt, event, partition: 0, offset: offset++ };
    const bookingId = (event.data as { bookingId?: unknown }).bookingId;
    const key = typeof bookingId === "string" ? `${orgId}/${bookingId}` : undefined;
    const before = key === undefined ? undefined : bookings.get(key);
    const after = bookingAfter(pe, before);
    if (key !== undefined && after !== undefined) bookings.set(key, after);
    revenue.add(pe, before, after);
    chunk.push(toEventRow(pe, after));
    summary.rowsByOrg.set(orgId, (summary.rowsByOrg.get(orgId) ?? 0) + 1);
    if (chunk.length === chunkRows) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
  summary.revenueRows = revenue.settleFromNothing();
}

/** Exactly `events` generated events as wide rows, all in memory, with the rollup over them (see eventRowChunks). */
export function generateEventRows(
  options: Omit<GenerateOptions, "scale" | "maxEvents" | "mismatchRate" | "duplicateRate" | "resendRate">,
  events: number,
): GeneratedEventRows {
  const summary: Omit<GeneratedEventRows, "rows"> = { revenueRows: [], rowsByOrg: new Map() };
  const rows = [...eventRowChunks(options, events, { chunkRows: events }, summary)].flat();
  return { rows, ...summary };
}
