import type { WedSyncEvent } from "../schemas/index.ts";
import type { Booking } from "./booking-state.ts";
import type { AnomalyChange } from "./pipeline.ts";
import type { ProcessedEvent } from "./step-result.ts";

/** Column order of `events` rows as written (JSONCompactEachRow). */
export const EVENT_COLUMNS = [
  "org_id",
  "id",
  "type",
  "occurred_at",
  "received_at",
  "source",
  "wedding_id",
  "booking_id",
  "payment_id",
  "supplier_id",
  "service",
  "category",
  "region",
  "venue_id",
  "channel",
  "method",
  "kind",
  "wedding_date",
  "guest_count",
  "amount",
  "currency",
  "data",
  "log_partition",
  "log_offset",
] as const;

/** Column order of `rejected_events` rows. */
export const REJECTED_COLUMNS = [
  "org_id",
  "id",
  "type",
  "received_at",
  "reasons",
  "message",
  "payload",
  "log_partition",
  "log_offset",
] as const;

/** Column order of `anomalies` rows. */
export const ANOMALY_COLUMNS = [
  "org_id",
  "id",
  "kind",
  "severity",
  "score",
  "event_id",
  "booking_id",
  "wedding_id",
  "evidence",
  "occurred_at",
  "open",
  "log_partition",
  "log_offset",
] as const;

// A UTC instant already in the shape ClickHouse wants but for the "T", the "Z" and perhaps the milliseconds: the form
// toISOString writes and most producers send. Anything else (offsets, other fractions) goes through Date.
const PLAIN_UTC_INSTANT =
  /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))T((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(\.\d{3})?Z$/;

/**
 * An ISO instant as ClickHouse DateTime64(3) text in UTC. The instants of events are valid (the schema checks that
 * their day exists), so the common plain UTC form is rewritten as text: parsing it into a Date and out again cost
 * about a fifth of building a row.
 */
export function toClickHouseTime(iso: string): string {
  const plain = PLAIN_UTC_INSTANT.exec(iso);
  if (plain) return `${plain[1]} ${plain[2]}${plain[3] ?? ".000"}`;
  return new Date(iso).toISOString().replace("T", " ").replace("Z", "");
}

/** The money figure an event carries in the wide row, if any. */
function moneyOf(event: WedSyncEvent): { amount: number; currency: string } | undefined {
  switch (event.type) {
    case "booking.created":
      return event.data.contractValue;
    case "booking.updated":
      return event.data.contractValue;
    case "booking.cancelled":
      return event.data.cancellationFee;
    case "inquiry.received":
      return event.data.budget;
    default:
      return event.data.amount;
  }
}

/**
 * The wide `events` row of an accepted event. Payments and refunds carry no service or region of
 * their own: they are enriched from their booking so revenue can be split by them.
 */
export function toEventRow(pe: ProcessedEvent, booking: Booking | undefined): unknown[] {
  const { event } = pe;
  const d = event.data as Record<string, unknown>;
  const str = (value: unknown) => (typeof value === "string" ? value : "");
  const money = moneyOf(event);
  return [
    pe.orgId,
    event.id,
    event.type,
    toClickHouseTime(event.occurredAt),
    toClickHouseTime(pe.receivedAt),
    event.source,
    str(d.weddingId),
    str(d.bookingId),
    str(d.paymentId),
    str(d.supplierId) || (booking?.supplierId ?? ""),
    str(d.service) || (booking?.service ?? ""),
    str(d.category),
    str(d.region) || (booking?.region ?? ""),
    str(d.venueId) || (booking?.venueId ?? ""),
    str(d.channel),
    str(d.method),
    str(d.kind),
    str(d.weddingDate) || str(d.incurredOn) || null,
    typeof d.guestCount === "number" ? d.guestCount : null,
    money?.amount ?? 0,
    money?.currency ?? "",
    JSON.stringify(event.data),
    pe.partition,
    pe.offset,
  ];
}

/**
 * A dead-letter row: the original payload and why it was refused. Whatever the payload holds, the row can be written:
 * the id and type read from it are made well-formed (ClickHouse refuses an unpaired surrogate in JSON input), and so
 * are the message and the organisation, which may quote it.
 */
export function toRejectedRow(
  record: { orgId: string; receivedAt: string; payload: string; partition: number; offset: number },
  reasons: string[],
  message: string,
): unknown[] {
  let id = "";
  let type = "";
  try {
    const parsed = JSON.parse(record.payload) as { event?: { id?: unknown; type?: unknown } };
    if (typeof parsed.event?.id === "string") id = parsed.event.id.slice(0, 100).toWellFormed();
    if (typeof parsed.event?.type === "string") type = parsed.event.type.slice(0, 100).toWellFormed();
  } catch {
    // Undecodable payloads keep empty id and type; the payload itself is stored as is (decoded UTF-8 is well-formed).
  }
  return [
    record.orgId.toWellFormed(),
    id,
    type,
    toClickHouseTime(record.receivedAt),
    reasons,
    message.toWellFormed(),
    record.payload,
    record.partition,
    record.offset,
  ];
}

/** The `anomalies` row of an anomaly's new judgement: the row inserted last is the anomaly's current state. */
export function toAnomalyRow({ anomaly, open, partition, offset }: AnomalyChange): unknown[] {
  return [
    anomaly.orgId,
    anomaly.id,
    anomaly.kind,
    anomaly.severity,
    anomaly.score,
    anomaly.eventId,
    anomaly.bookingId ?? "",
    anomaly.weddingId ?? "",
    JSON.stringify(anomaly.evidence),
    toClickHouseTime(anomaly.occurredAt),
    open ? 1 : 0,
    partition,
    offset,
  ];
}
