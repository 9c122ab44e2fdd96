import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventRow, insertEventRows, type BookingAttributes } from "../../test/support/event-rows.ts";
import { openPipelineTestWorld, type PipelineTestWorld } from "../../test/support/pipeline-test-world.ts";
import { AggregateRequest, checkAggregateRequest } from "./aggregate-request.ts";
import { buildAggregateQuery } from "./build-aggregate-query.ts";

let world: PipelineTestWorld;
const org = `org_${randomUUID()}`;
const WIDE = { from: "2020-01-01", to: "2030-12-31" };

const gbp = (amount: number) => ({ amount, currency: "GBP" });
const event = (type: string, occurredAt: string, data: Record<string, unknown>, id: string = randomUUID()) => ({
  id,
  type,
  occurredAt,
  source: "test",
  data,
});

/** The engine's rows for a request, on this world's ClickHouse. */
async function answer(request: z.input<typeof AggregateRequest>) {
  const question = checkAggregateRequest(AggregateRequest.parse(request));
  const { query, params } = buildAggregateQuery(org, question);
  return (await world.ch.query({ query, query_params: params, format: "JSONEachRow" })).json<Record<string, unknown>>();
}

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const photography = { supplierId: "sup-1", service: "photography", region: "London" };

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-aggregate-engine");
  const row = (e: ReturnType<typeof event>, attributes?: BookingAttributes) => eventRow(org, e, attributes);
  const earlyPayment = event("payment.received", "2026-01-09T09:00:00Z", {
    paymentId: "p-0",
    bookingId: "bk-1",
    weddingId: "w-1",
    amount: gbp(200),
    method: "card",
  });
  // Inserted in the order they "arrived", which is deliberately not the order they occurred in: occurrence decides.
  await insertEventRows(world.ch, [
    // bk-1: a payment before its booking (no attributes yet), an update dated 20 January before the create, then the
    // create, then an update dated 15 January that arrives last and loses; an update naming bk-1 in another wedding.
    row(earlyPayment),
    row(
      event("booking.updated", "2026-01-20T09:00:00Z", {
        bookingId: "bk-1",
        weddingId: "w-1",
        contractValue: gbp(2000),
        guestCount: 150,
        weddingDate: "2027-07-10",
      }),
    ),
    row(
      event("booking.created", "2026-01-10T09:00:00Z", {
        bookingId: "bk-1",
        weddingId: "w-1",
        ...photography,
        weddingDate: "2027-06-12",
        guestCount: 100,
        contractValue: gbp(1000),
      }),
    ),
    // The processor re-inserts the early payment with its booking's attributes once the booking exists.
    row(earlyPayment, photography),
    row(
      event("booking.updated", "2026-01-15T09:00:00Z", {
        bookingId: "bk-1",
        weddingId: "w-1",
        contractValue: gbp(3000),
        guestCount: 90,
        weddingDate: "2027-09-11",
      }),
    ),
    row(event("booking.updated", "2026-03-01T09:00:00Z", { bookingId: "bk-1", weddingId: "w-9", guestCount: 999 })),
    row(
      event("payment.received", "2026-01-25T09:00:00Z", {
        paymentId: "p-1",
        bookingId: "bk-1",
        weddingId: "w-1",
        amount: gbp(400),
        method: "card",
      }),
      photography,
    ),
    // A payment whose booking never arrives: counted, with no service.
    row(
      event("payment.received", "2026-01-26T09:00:00Z", {
        paymentId: "p-orphan",
        bookingId: "bk-missing",
        weddingId: "w-missing",
        amount: gbp(50),
        method: "cash",
      }),
    ),
    row(
      event("expense.recorded", "2026-01-26T09:00:00Z", {
        expenseId: "e-1",
        weddingId: "w-1",
        category: "florist",
        amount: gbp(70),
        incurredOn: "2026-01-26",
      }),
    ),
    // Budgets: the later-dated allocation arrives first; two at one instant are decided by event id, not arrival.
    row(event("budget.allocated", "2026-02-10T09:00:00Z", { weddingId: "w-1", category: "florist", amount: gbp(500) })),
    row(event("budget.allocated", "2026-02-01T09:00:00Z", { weddingId: "w-1", category: "florist", amount: gbp(800) })),
    row(
      event(
        "budget.allocated",
        "2026-02-01T09:00:00Z",
        { weddingId: "w-1", category: "music", amount: gbp(400) },
        ID(11),
      ),
    ),
    row(
      event(
        "budget.allocated",
        "2026-02-01T09:00:00Z",
        { weddingId: "w-1", category: "music", amount: gbp(0) },
        ID(10),
      ),
    ),
    // bk-2: booked in euros, then repriced in pounds; cancelled twice, the later-dated cancellation arriving first.
    row(
      event("booking.created", "2026-03-01T09:00:00Z", {
        bookingId: "bk-2",
        weddingId: "w-2",
        supplierId: "sup-2",
        service: "venue",
        region: "Kent",
        weddingDate: "2026-08-15",
        guestCount: 120,
        contractValue: { amount: 5000, currency: "EUR" },
      }),
    ),
    row(
      event("booking.cancelled", "2026-04-20T09:00:00Z", {
        bookingId: "bk-2",
        weddingId: "w-2",
        cancellationFee: gbp(700),
      }),
    ),
    row(
      event("booking.updated", "2026-03-05T09:00:00Z", {
        bookingId: "bk-2",
        weddingId: "w-2",
        contractValue: gbp(6000),
      }),
    ),
    row(
      event("booking.cancelled", "2026-04-10T09:00:00Z", {
        bookingId: "bk-2",
        weddingId: "w-2",
        cancellationFee: { amount: 300, currency: "EUR" },
      }),
    ),
    // A cancellation and an update of a booking never created count nowhere.
    row(event("booking.cancelled", "2026-04-10T09:00:00Z", { bookingId: "bk-ghost", weddingId: "w-3" })),
    row(event("booking.updated", "2026-04-10T09:00:00Z", { bookingId: "bk-ghost", weddingId: "w-3", guestCount: 5 })),
  ]);
});

afterAll(async () => {
  await world?.close();
});

describe("the aggregation engine's idea of latest: by occurrence, never by arrival", () => {
  it("takes each booking figure from its latest event by occurrence, and its currency from its contract value", async () => {
    expect(
      await answer({ metrics: ["contractValue", "guests"], groupBy: ["wedding", "weddingMonth"], ...WIDE }),
    ).toEqual([
      { wedding: "w-1", weddingMonth: 7, currency: "GBP", contractValue: 2000, guests: 150 },
      { wedding: "w-2", weddingMonth: 8, currency: "GBP", contractValue: 6000, guests: 120 },
    ]);
    // Only created bookings count, each once, cancelled ones included (cancellations says which, on the create's day).
    expect(await answer({ metrics: ["bookings", "cancellations"], groupBy: ["currency"], ...WIDE })).toEqual([
      { currency: "GBP", bookings: 2, cancellations: 1 },
    ]);
  });

  it("counts every payment on its own day, under the service its row carries ('' before its booking exists)", async () => {
    expect(await answer({ metrics: ["paymentsReceived"], groupBy: ["service"], ...WIDE })).toEqual([
      { service: null, currency: "GBP", paymentsReceived: 50 },
      { service: "photography", currency: "GBP", paymentsReceived: 600 },
    ]);
    // Payments and expenses take their wedding's date by occurrence; a payment without a booking has none.
    expect(
      await answer({ metrics: ["paymentsReceived"], groupBy: ["weddingMonth"], ...WIDE, dateField: "wedding" }),
    ).toEqual([{ weddingMonth: 7, currency: "GBP", paymentsReceived: 600 }]);
    expect(await answer({ metrics: ["expenses"], groupBy: ["weddingMonth"], ...WIDE })).toEqual([
      { weddingMonth: 7, currency: "GBP", expenses: 70 },
    ]);
  });

  it("takes a budget as its latest allocation by occurrence, ties broken by event id", async () => {
    expect(await answer({ metrics: ["budgetAllocated"], groupBy: ["category"], ...WIDE })).toEqual([
      { category: "florist", currency: "GBP", budgetAllocated: 500 },
      { category: "music", currency: "GBP", budgetAllocated: 400 },
    ]);
  });

  it("counts a cancellation on the day of the earliest one, releasing the current contract, its fee in its currency", async () => {
    expect(
      await answer({
        metrics: ["cancelledBookings", "releasedContractValue", "cancellationFees"],
        groupBy: ["service"],
        interval: "day",
        ...WIDE,
      }),
    ).toEqual([
      {
        bucket: "2026-04-10",
        service: "venue",
        currency: "EUR",
        cancelledBookings: 0,
        releasedContractValue: 0,
        cancellationFees: 300,
      },
      {
        bucket: "2026-04-10",
        service: "venue",
        currency: "GBP",
        cancelledBookings: 1,
        releasedContractValue: 6000,
        cancellationFees: 0,
      },
    ]);
    // A count alone is not split by currency: the fee's own fact adds no booking.
    expect(await answer({ metrics: ["cancelledBookings"], groupBy: ["supplier", "weddingMonth"], ...WIDE })).toEqual([
      { supplier: "sup-2", weddingMonth: 8, cancelledBookings: 1 },
    ]);
  });
});
