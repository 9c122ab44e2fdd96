import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventRow, insertEventRows, type TestEvent } from "../test/support/event-rows.ts";
import { openPipelineTestWorld, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { budgetVsActualQuery } from "./budget-vs-actual-query.ts";

let world: PipelineTestWorld;
const org = `org_${randomUUID()}`;

/** An event of the given type at the given time. */
const event = (
  type: string,
  occurredAt: string,
  data: Record<string, unknown>,
  id: string = randomUUID(),
): TestEvent => ({
  id,
  type,
  occurredAt,
  data,
});
const allocate = (
  weddingId: string,
  category: string,
  occurredAt: string,
  amount: number,
  currency = "GBP",
  id: string = randomUUID(),
) => event("budget.allocated", occurredAt, { weddingId, category, amount: { amount, currency } }, id);
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

/** The organisation's events, in the order the test inserts them: allocations arrive out of their order. */
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
  // Two allocations at the same instant: the larger event id wins, whichever arrives last. Nothing spent yet.
  allocate("w-2", "music", "2026-03-01T10:00:00Z", 400, "GBP", "00000000-0000-4000-8000-00000000000b"),
  allocate("w-2", "music", "2026-03-01T10:00:00Z", 0, "GBP", "00000000-0000-4000-8000-00000000000a"),
  // Spend with no allocation at all.
  spend("w-2", "cake", 150),
];
/** Another organisation with the same events arriving the other way round. */
const reversedOrg = `org_${randomUUID()}`;

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-budget-vs-actual");
  await insertEventRows(
    world.ch,
    events.map((e) => eventRow(org, e)),
  );
  // The same rows once more in one block, as a replay would write them: FINAL counts each event once.
  await world.ch.insert({ table: "events", values: events.map((e) => eventRow(org, e)), format: "JSONEachRow" });
  await insertEventRows(
    world.ch,
    events.toReversed().map((e) => eventRow(reversedOrg, e)),
  );
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
      row("w-2", "music", "GBP", 400, 0),
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
      row("w-2", "music", "GBP", 400, 0),
    ]);
  });

  it("gives the same rows whatever order the events arrived in", async () => {
    expect(await rows(budgetVsActualQuery(reversedOrg, { overrunOnly: false }))).toEqual(
      await rows(budgetVsActualQuery(org, { overrunOnly: false })),
    );
  });

  it("answers nothing for another organisation, whatever wedding it names", async () => {
    expect(await rows(budgetVsActualQuery(`org_${randomUUID()}`, { overrunOnly: false, weddingId: "w-1" }))).toEqual(
      [],
    );
  });
});
