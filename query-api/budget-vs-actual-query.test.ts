import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertBatchRows } from "../processors/write-batch.ts";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { budgetVsActualQuery } from "./budget-vs-actual-query.ts";

let world: PipelineTestWorld;
const org = `org_${randomUUID()}`;

/** An event of the given type at the given time. */
const event = (type: string, occurredAt: string, data: Record<string, unknown>) => ({
  id: randomUUID(),
  type,
  occurredAt,
  source: "test",
  data,
});
const allocate = (weddingId: string, category: string, occurredAt: string, amount: number, currency = "GBP") =>
  event("budget.allocated", occurredAt, { weddingId, category, amount: { amount, currency } });
let expenses = 0;
const spend = (weddingId: string, category: string, amount: number, currency = "GBP") =>
  event("expense.recorded", "2026-05-20T10:00:00Z", {
    expenseId: `e-${++expenses}`,
    weddingId,
    category,
    amount: { amount, currency },
    incurredOn: "2026-05-20",
  });

async function rows(bound: BoundQuery) {
  return (await world.ch.query({ query: bound.query, query_params: bound.params, format: "JSONEachRow" })).json();
}

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-budget-vs-actual");
  const events = [
    // Catering is raised, then an allocation dated earlier arrives late: it loses.
    allocate("w-1", "catering", "2026-02-01T10:00:00Z", 9000),
    allocate("w-1", "catering", "2026-03-01T10:00:00Z", 12000),
    allocate("w-1", "catering", "2026-02-15T10:00:00Z", 5000),
    spend("w-1", "catering", 7000),
    spend("w-1", "catering", 6500),
    // Florist is moved to euros: the pound row keeps its spend, with no allocation (an overrun).
    allocate("w-1", "florist", "2026-02-01T10:00:00Z", 800),
    spend("w-1", "florist", 300),
    allocate("w-1", "florist", "2026-04-01T10:00:00Z", 900, "EUR"),
    spend("w-1", "florist", 200, "EUR"),
    // Two allocations at the same instant: the later in the log wins. Nothing spent yet.
    allocate("w-2", "music", "2026-03-01T10:00:00Z", 400),
    allocate("w-2", "music", "2026-03-01T10:00:00Z", 0),
    // Spend with no allocation at all.
    spend("w-2", "cake", 150),
  ];
  const { outcome, range } = await world.runBatch(toRecords(org, events));
  await insertBatchRows(world.ch, range, outcome, { freshToken: true });
});

afterAll(async () => {
  await world?.close();
});

describe("budgetVsActualQuery", () => {
  const row = (weddingId: string, category: string, currency: string, allocated: number | null, spent: number) => {
    const over = spent - (allocated ?? 0);
    return {
      weddingId,
      category,
      currency,
      allocated,
      spent,
      remaining: allocated === null ? null : allocated - spent,
      overrun: over > 0,
      overrunAmount: Math.max(over, 0),
    };
  };

  it("sets the latest allocation against the spend of each category and currency", async () => {
    expect(await rows(budgetVsActualQuery(org, { overrunOnly: false }))).toEqual([
      row("w-1", "catering", "GBP", 12000, 13500),
      row("w-1", "florist", "EUR", 900, 200),
      row("w-1", "florist", "GBP", null, 300),
      row("w-2", "cake", "GBP", null, 150),
      row("w-2", "music", "GBP", 0, 0),
    ]);
  });

  it("keeps the overruns alone, and one wedding alone, on request", async () => {
    expect(await rows(budgetVsActualQuery(org, { overrunOnly: true }))).toEqual([
      row("w-1", "catering", "GBP", 12000, 13500),
      row("w-1", "florist", "GBP", null, 300),
      row("w-2", "cake", "GBP", null, 150),
    ]);
    expect(await rows(budgetVsActualQuery(org, { overrunOnly: false, weddingId: "w-2" }))).toEqual([
      row("w-2", "cake", "GBP", null, 150),
      row("w-2", "music", "GBP", 0, 0),
    ]);
  });

  it("holds what the Postgres budgets projection holds", async () => {
    const projected = await world.sql.query<Record<string, unknown>>(
      "SELECT wedding_id, category, currency, allocated_amount, spent_amount FROM budgets WHERE org_id = $1 ORDER BY 1, 2, 3",
      [org],
    );
    const answered = (await rows(budgetVsActualQuery(org, { overrunOnly: false }))) as Record<string, unknown>[];
    expect(answered.map((r) => [r.weddingId, r.category, r.currency, r.allocated, r.spent])).toEqual(
      projected.map((p) => [
        p.wedding_id,
        p.category,
        p.currency,
        p.allocated_amount === null ? null : Number(p.allocated_amount),
        Number(p.spent_amount),
      ]),
    );
  });

  it("answers nothing for another organisation, whatever wedding it names", async () => {
    expect(await rows(budgetVsActualQuery(`org_${randomUUID()}`, { overrunOnly: false, weddingId: "w-1" }))).toEqual(
      [],
    );
  });
});
