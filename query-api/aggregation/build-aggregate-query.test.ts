import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../../test/support/pipeline-test-world.ts";
import { AggregateRequest, checkAggregateRequest } from "./aggregate-request.ts";
import { buildAggregateQuery } from "./build-aggregate-query.ts";

let world: PipelineTestWorld;
const org = `org_${randomUUID()}`;
const WIDE = { from: "2020-01-01", to: "2030-12-31" };

const gbp = (amount: number) => ({ amount, currency: "GBP" });
const event = (type: string, occurredAt: string, data: Record<string, unknown>) => ({
  id: randomUUID(),
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

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-aggregate-engine");
  // In log order: the booking, an update dated 20 January, then one that arrives after it but is dated 15 January.
  // Then two budget allocations of one category the other way round: the later-dated one first.
  const events = [
    event("booking.created", "2026-01-10T09:00:00Z", {
      bookingId: "bk-1",
      weddingId: "w-1",
      supplierId: "sup-1",
      service: "photography",
      weddingDate: "2027-06-12",
      guestCount: 100,
      contractValue: gbp(1000),
    }),
    event("booking.updated", "2026-01-20T09:00:00Z", {
      bookingId: "bk-1",
      weddingId: "w-1",
      contractValue: gbp(2000),
      guestCount: 150,
      weddingDate: "2027-07-10",
    }),
    event("booking.updated", "2026-01-15T09:00:00Z", {
      bookingId: "bk-1",
      weddingId: "w-1",
      contractValue: gbp(3000),
      guestCount: 90,
      weddingDate: "2027-09-11",
    }),
    event("payment.received", "2026-01-25T09:00:00Z", {
      paymentId: "p-1",
      bookingId: "bk-1",
      weddingId: "w-1",
      amount: gbp(400),
      method: "card",
    }),
    event("expense.recorded", "2026-01-26T09:00:00Z", {
      expenseId: "e-1",
      weddingId: "w-1",
      category: "florist",
      amount: gbp(70),
      incurredOn: "2026-01-26",
    }),
    event("budget.allocated", "2026-02-10T09:00:00Z", { weddingId: "w-1", category: "florist", amount: gbp(500) }),
    event("budget.allocated", "2026-02-01T09:00:00Z", { weddingId: "w-1", category: "florist", amount: gbp(800) }),
  ];
  await world.runBatch(toRecords(org, events));
});

afterAll(async () => {
  await world?.close();
});

describe("the aggregation engine's idea of latest", () => {
  it("takes a booking's figures as last applied in log order, as the Postgres bookings projection does", async () => {
    const [projected] = await world.sql.query<Record<string, unknown>>(
      "SELECT contract_amount, guest_count, to_char(wedding_date, 'YYYY-MM') AS month FROM bookings WHERE org_id = $1 AND booking_id = 'bk-1'",
      [org],
    );
    // The update that arrived last wins, though it is dated before the one it replaces.
    expect([Number(projected!.contract_amount), projected!.guest_count, projected!.month]).toEqual([
      3000,
      90,
      "2027-09",
    ]);
    expect(
      await answer({ metrics: ["contractValue", "guests"], groupBy: ["wedding", "weddingMonth"], ...WIDE }),
    ).toEqual([{ wedding: "w-1", weddingMonth: 9, currency: "GBP", contractValue: 3000, guests: 90 }]);
    // A payment and an expense take their wedding's date as last applied too.
    expect(
      await answer({ metrics: ["paymentsReceived"], groupBy: ["weddingMonth"], ...WIDE, dateField: "wedding" }),
    ).toEqual([{ weddingMonth: 9, currency: "GBP", paymentsReceived: 400 }]);
    expect(await answer({ metrics: ["expenses"], groupBy: ["weddingMonth"], ...WIDE })).toEqual([
      { weddingMonth: 9, currency: "GBP", expenses: 70 },
    ]);
  });

  it("takes a budget as its latest allocation by when it occurred, as the budgets projection does", async () => {
    const [projected] = await world.sql.query<Record<string, unknown>>(
      "SELECT allocated_amount FROM budgets WHERE org_id = $1 AND wedding_id = 'w-1' AND category = 'florist'",
      [org],
    );
    expect(Number(projected!.allocated_amount)).toBe(500);
    expect(await answer({ metrics: ["budgetAllocated"], groupBy: ["category"], ...WIDE })).toEqual([
      { category: "florist", currency: "GBP", budgetAllocated: 500 },
    ]);
  });
});
