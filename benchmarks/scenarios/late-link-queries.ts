import { createHash } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";
import type { Booking } from "../../processors/booking-state.ts";
import { EVENT_COLUMNS } from "../../processors/clickhouse-rows.ts";
import type { LinkedRow } from "../../processors/pipeline.ts";

/**
 * Alternative (c) of issue 12: a current-state table of bookings' attributes, one row per booking, that payments and
 * refunds would be joined to at query time instead of carrying the attributes themselves. Versioned by occurrence:
 * the attributes are set by `booking.created` only, so its occurredAt is the version (a re-sent create collapses).
 */
export const CREATE_BOOKING_ATTRIBUTES = `CREATE TABLE IF NOT EXISTS booking_attributes (
  org_id       LowCardinality(String),
  booking_id   String,
  wedding_id   String,
  supplier_id  String,
  service      LowCardinality(String),
  region       LowCardinality(String),
  venue_id     String,
  occurred_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(occurred_at)
ORDER BY (org_id, booking_id)`;

/** Column order of `booking_attributes` rows (JSONCompactEachRow). */
export const BOOKING_ATTRIBUTE_COLUMNS = [
  "org_id",
  "booking_id",
  "wedding_id",
  "supplier_id",
  "service",
  "region",
  "venue_id",
  "occurred_at",
] as const;

const EVENT_INDEX = Object.fromEntries(EVENT_COLUMNS.map((column, i) => [column, i])) as Record<
  (typeof EVENT_COLUMNS)[number],
  number
>;

/** The `booking_attributes` rows of the `booking.created` rows among wide `events` rows (EVENT_COLUMNS order). */
export function bookingAttributeRows(eventRows: readonly unknown[][]): unknown[][] {
  return eventRows
    .filter((row) => row[EVENT_INDEX.type] === "booking.created")
    .map((row) => BOOKING_ATTRIBUTE_COLUMNS.map((column) => row[EVENT_INDEX[column]]));
}

/** The three ways of answering the same question that issue 12 weighs. */
export const READ_WAYS = ["denormalised", "join_events", "join_booking_attributes"] as const;
/** One of READ_WAYS. */
export type ReadWay = (typeof READ_WAYS)[number];

// Every read is of `events FINAL`, as the product's queries are (fact-sources.ts): a re-inserted (linked) copy of a
// row and the copy it replaces count once, the one inserted last.
const payments = (orgFilter: string) =>
  `SELECT org_id, booking_id, wedding_id, occurred_at, currency, amount
   FROM events FINAL WHERE type = 'payment.received'${orgFilter}`;

// A payment links to its booking only when the booking was created in the same wedding (issue 12's rules), so the
// join is on organisation, booking and wedding; an unmatched payment gets '' (join_use_nulls is off), as an unlinked
// payment row carries.
const BOOKINGS_FROM_EVENTS = (orgFilter: string) =>
  `SELECT org_id, booking_id, any(wedding_id) AS wedding_id, any(service) AS service
   FROM events FINAL WHERE type = 'booking.created'${orgFilter}
   GROUP BY org_id, booking_id`;
const BOOKINGS_FROM_TABLE = (orgFilter: string) =>
  `SELECT org_id, booking_id, wedding_id, service FROM booking_attributes FINAL WHERE 1 = 1${orgFilter}`;

/**
 * Payments received per organisation × month × service × currency (amount and count), for one organisation or all,
 * answered one of three ways:
 * - `denormalised`: from the payment rows alone, which carry their booking's service (the chosen design: a late link
 *   re-inserts the payment's row with the attributes filled);
 * - `join_events`: payments joined at query time to their booking's `booking.created` row in `events`;
 * - `join_booking_attributes`: payments joined at query time to the `booking_attributes` table.
 * All three give the same rows when every payment row carries its linked booking's attributes.
 */
export function paymentsByMonthServiceCurrency(
  way: ReadWay,
  orgId: string | undefined,
): { query: string; query_params: Record<string, unknown> } {
  const orgFilter = orgId === undefined ? "" : " AND org_id = {orgId:String}";
  const select = (service: string, from: string) => `
    SELECT p.org_id AS org, toStartOfMonth(p.occurred_at) AS month, ${service} AS svc, p.currency AS cur,
      sum(p.amount) AS received, count() AS payments
    FROM ${from}
    GROUP BY org, month, svc, cur
    ORDER BY org, month, svc, cur`;
  const joined = (bookings: string) =>
    select(
      "b.service",
      `(${payments(orgFilter)}) AS p
      LEFT JOIN (${bookings}) AS b
        ON p.org_id = b.org_id AND p.booking_id = b.booking_id AND p.wedding_id = b.wedding_id`,
    );
  const query = {
    denormalised: () =>
      select(
        "p.service",
        `(SELECT org_id, occurred_at, service, currency, amount
          FROM events FINAL WHERE type = 'payment.received'${orgFilter}) AS p`,
      ),
    join_events: () => joined(BOOKINGS_FROM_EVENTS(orgFilter)),
    join_booking_attributes: () => joined(BOOKINGS_FROM_TABLE(orgFilter)),
  }[way]();
  return { query, query_params: orgId === undefined ? {} : { orgId } };
}

const LINK_COLUMNS = ["supplier_id", "service", "region", "venue_id"] as const;

/**
 * A payment's wide `events` row as the processor writes it when the payment arrives before its booking: what
 * `toEventRow` builds without a booking, the booking's supplier, service, region and venue left empty (a payment
 * carries none of its own).
 */
export function unlinkedRow(row: readonly unknown[]): unknown[] {
  const copy = [...row];
  for (const column of LINK_COLUMNS) copy[EVENT_INDEX[column]] = "";
  return copy;
}

/**
 * Whether a row is a linked payment of the organisation whose booking is among a pseudo-random `share` of its bookings
 * (the same bookings whatever the chunk): a payment the benchmark makes arrive before its booking.
 */
export function isLatePayment(row: readonly unknown[], orgId: string, share: number): boolean {
  if (row[EVENT_INDEX.type] !== "payment.received" || row[EVENT_INDEX.org_id] !== orgId) return false;
  if (row[EVENT_INDEX.service] === "") return false;
  const digest = createHash("md5").update(String(row[EVENT_INDEX.booking_id])).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < share;
}

/** One payment row to be linked late, with its booking's attributes as `booking_attributes` holds them. */
export interface LatePayment {
  orgId: string;
  eventId: string;
  /** ISO instant, as events carry it. */
  occurredAt: string;
  /** The booking's `booking_attributes` row (BOOKING_ATTRIBUTE_COLUMNS order). */
  bookingRow: unknown[];
}

/**
 * Up to `count` unlinked payments of an organisation whose booking exists (in `booking_attributes`, same wedding), as
 * whole bookings at a time in a fixed pseudo-random order of booking (a batch that brings late bookings links all
 * their earlier payments): the payments a benchmark links late.
 */
export async function pickLatePayments(ch: ClickHouseClient, orgId: string, count: number): Promise<LatePayment[]> {
  const result = await ch.query({
    query: `
      SELECT p.org_id AS org_id, toString(p.id) AS id, p.occurred_at AS occurred_at,
        ${BOOKING_ATTRIBUTE_COLUMNS.map((c) => `b.${c} AS b_${c}`).join(", ")}
      FROM (SELECT org_id, id, booking_id, wedding_id, occurred_at FROM events FINAL
            WHERE org_id = {orgId:String} AND type = 'payment.received' AND service = '') AS p
      INNER JOIN (SELECT * FROM booking_attributes FINAL WHERE org_id = {orgId:String}) AS b
        ON p.org_id = b.org_id AND p.booking_id = b.booking_id AND p.wedding_id = b.wedding_id
      ORDER BY cityHash64(p.booking_id), p.booking_id, p.occurred_at, id
      LIMIT {count:UInt32}`,
    query_params: { orgId, count },
    format: "JSONEachRow",
  });
  const rows = await result.json<Record<string, string>>();
  return rows.map((row) => ({
    orgId: row.org_id!,
    eventId: row.id!,
    occurredAt: `${row.occurred_at!.replace(" ", "T")}Z`,
    bookingRow: BOOKING_ATTRIBUTE_COLUMNS.map((c) => row[`b_${c}`]),
  }));
}

/**
 * The LinkedRow the processor hands `linkRowsCommand` for a late payment. linkRowsCommand reads only the booking's
 * supplier, service, region and venue; the rest of a Booking (figures, status) is the processor's Postgres state,
 * which a ClickHouse benchmark does not have, so only those (and the ids) are given.
 */
export function toLinkedRow(payment: LatePayment): LinkedRow {
  const [, bookingId, weddingId, supplierId, service, region, venueId] = payment.bookingRow as string[];
  const attributes: Pick<Booking, "bookingId" | "weddingId" | "supplierId" | "service" | "region" | "venueId"> = {
    bookingId: bookingId!,
    weddingId: weddingId!,
    supplierId: supplierId!,
    service: service!,
    region: region || null,
    venueId: venueId || null,
  };
  return {
    orgId: payment.orgId,
    eventId: payment.eventId,
    occurredAt: payment.occurredAt,
    booking: attributes as Booking,
  };
}
