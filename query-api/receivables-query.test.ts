import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventRow, insertEventRows } from "../test/support/event-rows.ts";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import { insertBatchRows } from "../processors/write-batch.ts";
import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { receivableBookingsQuery, receivablesQuery } from "./receivables-query.ts";

let world: PipelineTestWorld;
const org = `org_${randomUUID()}`;
let at = Date.parse("2026-01-10T09:00:00Z");

/** An event of the given type, a minute after the previous one. */
function event(type: string, data: Record<string, unknown>) {
  at += 60_000;
  return { id: randomUUID(), type, occurredAt: new Date(at).toISOString(), source: "test", data };
}
const gbp = (amount: number) => ({ amount, currency: "GBP" });
function booking(bookingId: string, weddingDate: string, contract: { amount: number; currency: string }) {
  return event("booking.created", {
    bookingId,
    weddingId: `w-${bookingId}`,
    supplierId: "sup-1",
    service: "photography",
    weddingDate,
    guestCount: 80,
    contractValue: contract,
  });
}
const pay = (bookingId: string, amount: number, paymentId = `p-${bookingId}`) =>
  event("payment.received", { paymentId, bookingId, weddingId: `w-${bookingId}`, amount: gbp(amount), method: "card" });

async function rows(bound: BoundQuery) {
  return (await world.ch.query({ query: bound.query, query_params: bound.params, format: "JSONEachRow" })).json();
}

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-receivables");
  // Days left from 2026-06-01: -1, 0, 30, 31, 60, 61, 90, 91: each side of every bucket edge.
  const events = [
    booking("over", "2026-05-31", gbp(1000)),
    pay("over", 400),
    booking("d0", "2026-06-01", gbp(500)),
    booking("d30", "2026-07-01", gbp(300)),
    booking("d31", "2026-07-02", gbp(310)),
    booking("d60", "2026-07-31", gbp(600)),
    booking("d61", "2026-08-01", gbp(610)),
    booking("d90", "2026-08-30", gbp(900)),
    booking("d91", "2026-08-31", gbp(910)),
    // Paid in full: nothing owed. Paid in full and partly refunded: the refund is owed again.
    booking("paid", "2026-07-15", gbp(700)),
    pay("paid", 700),
    booking("refunded", "2026-09-15", gbp(800)),
    pay("refunded", 800),
    event("payment.refunded", {
      refundId: "r-1",
      paymentId: "p-refunded",
      bookingId: "refunded",
      weddingId: "w-refunded",
      amount: gbp(100),
    }),
    // Cancelled: not a receivable, whatever is unpaid.
    booking("cancelled", "2026-06-20", gbp(450)),
    event("booking.cancelled", { bookingId: "cancelled", weddingId: "w-cancelled" }),
    // Moved and repriced, then a guest-count change that leaves date and value as they were.
    booking("moved", "2026-06-10", { amount: 200, currency: "EUR" }),
    event("booking.updated", {
      bookingId: "moved",
      weddingId: "w-moved",
      weddingDate: "2026-10-01",
      contractValue: { amount: 250, currency: "EUR" },
    }),
    event("booking.updated", { bookingId: "moved", weddingId: "w-moved", guestCount: 95 }),
  ];
  const { outcome, range } = await world.runBatch(toRecords(org, events));
  // The batch written again under a fresh token, as a recovery after a crash would: FINAL must count it once.
  await insertBatchRows(world.ch, range, outcome, { freshToken: true });
  await insertOutOfOrder();
});

/** Another organisation's bookings, their rows inserted in an order that is not the one their events occurred in. */
const shuffledOrg = `org_${randomUUID()}`;
async function insertOutOfOrder() {
  const row = (type: string, occurredAt: string, data: Record<string, unknown>, attributes = true) =>
    eventRow(
      shuffledOrg,
      { type, occurredAt, data },
      attributes ? { supplierId: "sup-9", service: "venue" } : undefined,
    );
  const created = (bookingId: string, weddingDate: string, contractValue: { amount: number; currency: string }) =>
    row("booking.created", "2026-01-10T09:00:00Z", {
      bookingId,
      weddingId: `w-${bookingId}`,
      supplierId: "sup-9",
      service: "venue",
      weddingDate,
      guestCount: 100,
      contractValue,
    });
  const money = (type: string, id: Record<string, string>, bookingId: string, amount: number, currency = "GBP") =>
    row(type, "2026-02-01T09:00:00Z", { ...id, bookingId, weddingId: `w-${bookingId}`, amount: { amount, currency } });
  await insertEventRows(world.ch, [
    // repriced: its contract moves from pounds to euros by an update that arrives before the create. Its pound
    // payment is money that moved, but not against a balance now in euros; its euro payment is.
    row("booking.updated", "2026-01-20T09:00:00Z", {
      bookingId: "repriced",
      weddingId: "w-repriced",
      contractValue: { amount: 1200, currency: "EUR" },
    }),
    money("payment.received", { paymentId: "p-r1", method: "card" }, "repriced", 300),
    created("repriced", "2026-07-01", gbp(1000)),
    money("payment.received", { paymentId: "p-r2", method: "card" }, "repriced", 200, "EUR"),
    // moved: the later-dated date change arrives first, the earlier-dated one last and loses. Paid 200 and refunded
    // 50 of it; a payment naming it from another wedding is not linked.
    row("booking.updated", "2026-01-25T09:00:00Z", {
      bookingId: "moved",
      weddingId: "w-moved",
      weddingDate: "2026-08-15",
    }),
    created("moved", "2026-06-20", gbp(500)),
    row("booking.updated", "2026-01-15T09:00:00Z", {
      bookingId: "moved",
      weddingId: "w-moved",
      weddingDate: "2026-12-01",
    }),
    money("payment.received", { paymentId: "p-m1", method: "card" }, "moved", 200),
    money("payment.refunded", { refundId: "r-m1", paymentId: "p-m1" }, "moved", 50),
    row(
      "payment.received",
      "2026-02-01T09:00:00Z",
      { paymentId: "p-m2", bookingId: "moved", weddingId: "w-elsewhere", amount: gbp(100), method: "card" },
      false,
    ),
    // dropped: its cancellation arrives before it is created; cancelled is final whatever the order.
    row("booking.cancelled", "2026-01-12T09:00:00Z", { bookingId: "dropped", weddingId: "w-dropped" }),
    created("dropped", "2026-09-01", gbp(900)),
    // A payment whose booking never arrives owes nothing and is owed nothing.
    row(
      "payment.received",
      "2026-02-01T09:00:00Z",
      { paymentId: "p-x", bookingId: "ghost", weddingId: "w-ghost", amount: gbp(10), method: "card" },
      false,
    ),
  ]);
}

afterAll(async () => {
  await world?.close();
});

describe("receivablesQuery", () => {
  it("buckets the balances of active bookings by days left before the wedding, per currency", async () => {
    expect(await rows(receivablesQuery(org, { asOf: "2026-06-01" }))).toEqual([
      { bucket: "overdue", currency: "GBP", bookings: 1, outstanding: 600 },
      { bucket: "0-30", currency: "GBP", bookings: 2, outstanding: 800 },
      { bucket: "31-60", currency: "GBP", bookings: 2, outstanding: 910 },
      { bucket: "61-90", currency: "GBP", bookings: 2, outstanding: 1510 },
      { bucket: "over-90", currency: "EUR", bookings: 1, outstanding: 250 },
      { bucket: "over-90", currency: "GBP", bookings: 2, outstanding: 1010 },
    ]);
  });

  it("lists a bucket's bookings with their latest date and value, soonest wedding first", async () => {
    expect(await rows(receivableBookingsQuery(org, { asOf: "2026-06-01", bucket: "over-90" }))).toEqual([
      {
        bookingId: "d91",
        weddingId: "w-d91",
        supplierId: "sup-1",
        service: "photography",
        weddingDate: "2026-08-31",
        daysLeft: 91,
        bucket: "over-90",
        currency: "GBP",
        contractValue: 910,
        paid: 0,
        refunded: 0,
        outstanding: 910,
      },
      {
        bookingId: "refunded",
        weddingId: "w-refunded",
        supplierId: "sup-1",
        service: "photography",
        weddingDate: "2026-09-15",
        daysLeft: 106,
        bucket: "over-90",
        currency: "GBP",
        contractValue: 800,
        paid: 800,
        refunded: 100,
        outstanding: 100,
      },
      {
        bookingId: "moved",
        weddingId: "w-moved",
        supplierId: "sup-1",
        service: "photography",
        weddingDate: "2026-10-01",
        daysLeft: 122,
        bucket: "over-90",
        currency: "EUR",
        contractValue: 250,
        paid: 0,
        refunded: 0,
        outstanding: 250,
      },
    ]);
    const all = (await rows(receivableBookingsQuery(org, { asOf: "2026-06-01" }))) as { bookingId: string }[];
    expect(all.map((r) => r.bookingId)).toEqual([
      "over",
      "d0",
      "d30",
      "d31",
      "d60",
      "d61",
      "d90",
      "d91",
      "refunded",
      "moved",
    ]);
  });

  it("follows occurrence, not arrival: latest changes, the booking's currency, linked money, final cancellations", async () => {
    expect(await rows(receivableBookingsQuery(shuffledOrg, { asOf: "2026-06-01" }))).toEqual([
      {
        bookingId: "repriced",
        weddingId: "w-repriced",
        supplierId: "sup-9",
        service: "venue",
        weddingDate: "2026-07-01",
        daysLeft: 30,
        bucket: "0-30",
        currency: "EUR",
        contractValue: 1200,
        paid: 200,
        refunded: 0,
        outstanding: 1000,
      },
      {
        bookingId: "moved",
        weddingId: "w-moved",
        supplierId: "sup-9",
        service: "venue",
        weddingDate: "2026-08-15",
        daysLeft: 75,
        bucket: "61-90",
        currency: "GBP",
        contractValue: 500,
        paid: 200,
        refunded: 50,
        outstanding: 350,
      },
    ]);
    expect(await rows(receivablesQuery(shuffledOrg, { asOf: "2026-06-01" }))).toEqual([
      { bucket: "0-30", currency: "EUR", bookings: 1, outstanding: 1000 },
      { bucket: "61-90", currency: "GBP", bookings: 1, outstanding: 350 },
    ]);
  });

  it("answers nothing for another organisation", async () => {
    expect(await rows(receivablesQuery(`org_${randomUUID()}`, { asOf: "2026-06-01" }))).toEqual([]);
  });
});
