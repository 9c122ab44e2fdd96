import { type BookingGroup, foldBooking } from "../../processors/booking-state.ts";
import { toEventRow } from "../../processors/clickhouse-rows.ts";
import { type BookingSink, createProjectBookingStateStep } from "../../processors/project-booking-state.ts";
import { RevenueTotals, revenueOf } from "../../processors/revenue-totals.ts";
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
 * Booking groups kept in memory in place of the processor's Postgres state, for events that arrive in occurrence order
 * (as the generator emits them): every payment and refund finds its booking already there, so it is linked at once and
 * never moves again. Its contribution to revenue is counted when it arrives and it is then let go, which keeps the
 * groups small (a creation and a few changes per booking) however many events are generated.
 */
class InOrderBookings implements BookingSink {
  private readonly groups = new Map<string, BookingGroup>();
  current: BookingGroup | undefined;

  group(orgId: string, bookingId: string): BookingGroup {
    const k = `${orgId}/${bookingId}`;
    let group = this.groups.get(k);
    if (group === undefined) {
      group = { orgId, bookingId, creation: undefined, changes: new Map(), payments: new Map(), refunds: new Map() };
      this.groups.set(k, group);
    }
    return group;
  }

  addChange: BookingSink["addChange"] = (change, creation) => {
    if (creation !== undefined) this.current!.creation = creation;
    this.current!.changes.set(change.eventId, change);
  };

  addPayment: BookingSink["addPayment"] = (payment) => {
    this.current!.payments.set(payment.paymentId, { ...payment, linked: this.links(payment.weddingId) });
  };

  addRefund: BookingSink["addRefund"] = (refund) => {
    this.current!.refunds.set(refund.refundId, { ...refund, linked: this.links(refund.weddingId), paymentKnown: true });
  };

  private links(weddingId: string): boolean {
    return this.current!.creation?.weddingId === weddingId;
  }
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
  const bookings = new InOrderBookings();
  const project = createProjectBookingStateStep();
  const revenue = new RevenueTotals();
  let chunk: unknown[][] = [];
  let offset = 0;
  for (const item of generateWeddingData({ ...options, scale, maxEvents: events })) {
    onItem?.(item);
    const { orgKey, event } = item;
    const orgId = orgIdOf(orgKey);
    const pe: ProcessedEvent = { orgId, receivedAt: event.occurredAt, event, partition: 0, offset: offset++ };
    const bookingId = (event.data as { bookingId?: unknown }).bookingId;
    revenue.cover(0, offset);
    if (typeof bookingId === "string") {
      const group = bookings.group(orgId, bookingId);
      bookings.current = group;
      const before = revenueOf(group);
      project(pe, bookings, "");
      revenue.addChange(0, before, revenueOf(group));
      const booking = foldBooking(group);
      const unlinked =
        (event.type === "payment.received" && !group.payments.get(event.data.paymentId)?.linked) ||
        (event.type === "payment.refunded" && !group.refunds.get(event.data.refundId)?.linked);
      chunk.push(toEventRow(pe, unlinked ? undefined : booking));
      group.payments.clear();
      group.refunds.clear();
    } else chunk.push(toEventRow(pe, undefined));
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
