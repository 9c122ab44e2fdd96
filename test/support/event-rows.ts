import { randomUUID } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";

/** An event as a test describes it: its envelope fields and data, as the contract defines them. */
export interface TestEvent {
  id?: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** What the processors copy onto a payment's or refund's row from its booking once that booking exists. */
export interface BookingAttributes {
  supplierId: string;
  service: string;
  region?: string;
  venueId?: string;
}

/** A money figure of the contract, if the event carries one in the wide row (the one the processors store). */
function moneyOf(type: string, d: Record<string, unknown>): { amount: number; currency: string } | undefined {
  const money =
    type === "booking.created" || type === "booking.updated"
      ? d.contractValue
      : type === "booking.cancelled"
        ? d.cancellationFee
        : type === "inquiry.received"
          ? d.budget
          : d.amount;
  return money as { amount: number; currency: string } | undefined;
}

/** An ISO instant as ClickHouse DateTime64(3) text. */
const chTime = (iso: string) => new Date(iso).toISOString().replace("T", " ").replace("Z", "");

/**
 * The `events` row of an accepted event, built by hand as the processors promise to write it (issue 12): its own
 * fields, money in `amount`/`currency` (0 and '' when it carries none), and for a payment or refund the booking's
 * attributes only when given (the processor fills them in once the booking exists in the same wedding, else '').
 */
export function eventRow(orgId: string, event: TestEvent, attributes?: BookingAttributes): Record<string, unknown> {
  const d = event.data;
  const str = (value: unknown) => (typeof value === "string" ? value : "");
  const money = moneyOf(event.type, d);
  return {
    org_id: orgId,
    id: event.id ?? randomUUID(),
    type: event.type,
    occurred_at: chTime(event.occurredAt),
    received_at: chTime(event.occurredAt),
    source: "test",
    wedding_id: str(d.weddingId),
    booking_id: str(d.bookingId),
    payment_id: str(d.paymentId),
    supplier_id: str(d.supplierId) || (attributes?.supplierId ?? ""),
    service: str(d.service) || (attributes?.service ?? ""),
    category: str(d.category),
    region: str(d.region) || (attributes?.region ?? ""),
    venue_id: str(d.venueId) || (attributes?.venueId ?? ""),
    channel: str(d.channel),
    method: str(d.method),
    kind: str(d.kind),
    wedding_date: str(d.weddingDate) || str(d.incurredOn) || null,
    guest_count: typeof d.guestCount === "number" ? d.guestCount : null,
    amount: money?.amount ?? 0,
    currency: money?.currency ?? "",
    data: JSON.stringify(d),
    log_partition: 0,
    log_offset: 0,
  };
}

/**
 * Inserts the rows, one insert each and in the order given, as separate arrivals would write them. Offsets are all 0:
 * no question may read arrival order from them.
 */
export async function insertEventRows(ch: ClickHouseClient, rows: Record<string, unknown>[]): Promise<void> {
  for (const row of rows) await ch.insert({ table: "events", values: [row], format: "JSONEachRow" });
}
