import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventRow, insertEventRows } from "../test/support/event-rows.ts";
import { openPipelineTestWorld, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import { supplierPerformanceQuery } from "./supplier-performance-query.ts";

let world: PipelineTestWorld;
const org = `org_${randomUUID()}`;
const RANGE = { from: "2026-01-01", to: "2026-12-31" };

const gbp = (amount: number) => ({ amount, currency: "GBP" });
const booked = (bookingId: string, supplierId: string, occurredAt: string, contractValue: object) =>
  eventRow(org, {
    type: "booking.created",
    occurredAt,
    data: {
      bookingId,
      weddingId: `w-${bookingId}`,
      supplierId,
      service: "catering",
      weddingDate: "2027-05-01",
      guestCount: 80,
      contractValue,
    },
  });

/** An `anomalies` row: one anomaly's judgement at the time it was written (the last one written stands). */
const anomaly = (id: string, bookingId: string, weddingId: string, occurredAt: string, open: 0 | 1, orgId = org) => ({
  org_id: orgId,
  id,
  kind: id.split(":")[0],
  severity: "medium",
  score: 1,
  event_id: randomUUID(),
  booking_id: bookingId,
  wedding_id: weddingId,
  evidence: "{}",
  occurred_at: `${occurredAt} 10:00:00.000`,
  open,
  log_partition: 0,
  log_offset: 0,
});

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-supplier-performance");
  await insertEventRows(world.ch, [
    booked("bk-1", "sup-1", "2026-03-01T09:00:00Z", gbp(1000)),
    eventRow(
      org,
      {
        type: "payment.received",
        occurredAt: "2026-03-02T09:00:00Z",
        data: { paymentId: "p-1", bookingId: "bk-1", weddingId: "w-bk-1", amount: gbp(100), method: "card" },
      },
      { supplierId: "sup-1", service: "catering" },
    ),
    // Booked the year before: in the range, sup-2 has nothing but a flag.
    booked("bk-2", "sup-2", "2025-11-01T09:00:00Z", { amount: 800, currency: "EUR" }),
    // Money whose booking never arrived: counted, under no supplier.
    eventRow(org, {
      type: "payment.received",
      occurredAt: "2026-04-01T09:00:00Z",
      data: { paymentId: "p-x", bookingId: "ghost", weddingId: "w-ghost", amount: gbp(10), method: "cash" },
    }),
  ]);
  const values = [
    // Flagged, then cleared by a later judgement: the last one written stands, and it is closed.
    anomaly("overpayment:bk-1", "bk-1", "w-bk-1", "2026-03-02", 1),
    anomaly("overpayment:bk-1", "bk-1", "w-bk-1", "2026-03-02", 0),
    anomaly("duplicate_payment:p-1", "bk-1", "w-bk-1", "2026-03-02", 1),
    anomaly("currency_mismatch:p-9", "bk-2", "w-bk-2", "2026-05-01", 1),
    // None of these counts: outside the range, another wedding's booking id, a booking never created, another
    // organisation's.
    anomaly("duplicate_payment:p-old", "bk-1", "w-bk-1", "2025-12-31", 1),
    anomaly("orphan_payment:p-7", "bk-1", "w-other", "2026-03-02", 1),
    anomaly("orphan_payment:p-x", "ghost", "w-ghost", "2026-04-01", 1),
    anomaly("overpayment:bk-1", "bk-1", "w-bk-1", "2026-03-02", 1, `org_${randomUUID()}`),
  ];
  for (const value of values) await world.ch.insert({ table: "anomalies", values: [value], format: "JSONEachRow" });
});

afterAll(async () => {
  await world?.close();
});

describe("supplierPerformanceQuery", () => {
  it("counts the open anomalies on each supplier's bookings beside its figures, and money of no booking apart", async () => {
    const { query, params } = supplierPerformanceQuery(org, RANGE);
    const rows = await (await world.ch.query({ query, query_params: params, format: "JSONEachRow" })).json();
    const none = { bookings: 0, contractValue: 0, cancellations: 0, paymentsReceived: 0, refunds: 0, anomalies: 0 };
    expect(rows).toEqual([
      { ...none, supplierId: null, currency: "GBP", paymentsReceived: 10 },
      {
        ...none,
        supplierId: "sup-1",
        currency: "GBP",
        bookings: 1,
        contractValue: 1000,
        paymentsReceived: 100,
        anomalies: 1,
      },
      { ...none, supplierId: "sup-2", currency: "EUR", anomalies: 1 },
    ]);
  });
});
