import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";

let world: PipelineTestWorld;

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-budgets");
});

afterAll(async () => {
  await world?.close();
});

const WEDDING = "wed-2027-0612-hart";

function allocation(occurredAt: string, amount: number, currency = "GBP", category = "florist") {
  return {
    id: randomUUID(),
    type: "budget.allocated",
    occurredAt,
    source: "wedsync-planner",
    data: { weddingId: WEDDING, category, amount: { amount, currency } },
  };
}

function expense(expenseId: string, amount: number, currency = "GBP", category = "florist") {
  return {
    id: randomUUID(),
    type: "expense.recorded",
    occurredAt: "2026-03-02T16:20:00Z",
    source: "wedsync-planner",
    data: { expenseId, weddingId: WEDDING, category, amount: { amount, currency }, incurredOn: "2026-03-02" },
  };
}

/** The org's budget rows as [category, currency, allocated amount, allocating event, spent amount]. */
async function budgets(org: string): Promise<unknown[][]> {
  const rows = await world.sql.query(
    `SELECT category, currency, allocated_amount, allocated_event_id, spent_amount FROM budgets
     WHERE org_id = $1 ORDER BY category, currency`,
    [org],
  );
  return rows.map((r) => [r.category, r.currency, r.allocated_amount, r.allocated_event_id, r.spent_amount]);
}

async function rejectedReasons(org: string): Promise<string[]> {
  const rs = await world.ch.query({
    query: "SELECT arrayJoin(reasons) AS reason FROM rejected_events FINAL WHERE org_id = {org:String} ORDER BY reason",
    query_params: { org },
    format: "JSONEachRow",
  });
  return (await rs.json<{ reason: string }>()).map((r) => r.reason);
}

describe("wedding budgets projected from the log", () => {
  it("sets allocated against spent; the latest allocation wins even if an older one arrives later", async () => {
    const org = `org_${randomUUID()}`;
    const first = allocation("2026-01-20T08:00:00Z", 150_000);
    const raised = allocation("2026-02-01T08:00:00Z", 180_000);
    const stale = allocation("2026-01-25T08:00:00Z", 99_000);
    const transport = allocation("2026-01-20T08:00:00Z", 20_000, "GBP", "transport");
    const log = [first, expense("exp-1", 42_000), raised, expense("exp-2", 10_000), stale, transport];

    // The stale allocation arrives in a later batch than the one it is older than.
    await world.runBatch(toRecords(org, log.slice(0, 3)));
    const { outcome } = await world.runBatch(toRecords(org, log.slice(3), { firstOffset: 3 }));
    expect(outcome.counts).toMatchObject({ ok: 3, dropped: 0, deadLettered: 0 });
    expect(await budgets(org)).toEqual([
      ["florist", "GBP", 180_000, raised.id, 52_000],
      ["transport", "GBP", 20_000, transport.id, 0],
    ]);
    const winner = await world.sql.query(
      "SELECT allocated_at, allocated_offset FROM budgets WHERE org_id = $1 AND category = 'florist'",
      [org],
    );
    expect(winner).toEqual([{ allocated_at: new Date("2026-02-01T08:00:00Z"), allocated_offset: 2 }]);
  });

  it("breaks a tie between allocations of one instant by event id, whatever order and batches they arrive in", async () => {
    const tied = [allocation("2026-01-20T08:00:00Z", 150_000), allocation("2026-01-20T08:00:00Z", 160_000)];
    const winner = tied[0]!.id > tied[1]!.id ? tied[0]! : tied[1]!;
    const older = allocation("2026-01-19T08:00:00Z", 170_000);
    for (const log of [
      [...tied, older],
      [older, tied[1]!, tied[0]!],
    ]) {
      for (const split of [3, 1]) {
        const org = `org_${randomUUID()}`;
        await world.runBatch(toRecords(org, log.slice(0, split)));
        if (split < log.length) await world.runBatch(toRecords(org, log.slice(split), { firstOffset: split }));
        expect(await budgets(org)).toEqual([["florist", "GBP", winner.data.amount.amount, winner.id, 0]]);
      }
    }
  });

  it("keeps spend per currency, and moves the allocation when re-allocated in another currency", async () => {
    const org = `org_${randomUUID()}`;
    const inPounds = allocation("2026-01-20T08:00:00Z", 150_000);
    await world.runBatch(toRecords(org, [inPounds, expense("exp-eur", 30_000, "EUR")]));
    expect(await budgets(org)).toEqual([
      ["florist", "EUR", null, null, 30_000],
      ["florist", "GBP", 150_000, inPounds.id, 0],
    ]);

    const inEuros = allocation("2026-02-01T08:00:00Z", 175_000, "EUR");
    await world.runBatch(toRecords(org, [inEuros, expense("exp-gbp", 5_000, "GBP")], { firstOffset: 2 }));
    expect(await budgets(org)).toEqual([
      ["florist", "EUR", 175_000, inEuros.id, 30_000],
      ["florist", "GBP", null, null, 5_000],
    ]);

    // A row left with neither allocation nor spend is removed, not kept as noise.
    const other = `org_${randomUUID()}`;
    const reallocated = [
      allocation("2026-01-20T08:00:00Z", 150_000),
      allocation("2026-02-01T08:00:00Z", 175_000, "EUR"),
    ];
    await world.runBatch(toRecords(other, reallocated));
    expect(await budgets(other)).toEqual([["florist", "EUR", 175_000, reallocated[1]!.id, 0]]);
  });

  it("adds each expense once: a replay, a re-appended copy, a re-send under a new id; other content conflicts", async () => {
    const org = `org_${randomUUID()}`;
    const log = [allocation("2026-01-20T08:00:00Z", 150_000), expense("exp-1", 42_000), expense("exp-2", 10_000)];
    const batch = toRecords(org, log);
    await world.runBatch(batch);

    // The same range processed again (offsets reset, or the log replayed to rebuild): every event is already applied.
    const replay = await world.runBatch(batch, { group: "rebuild" });
    expect(replay.outcome.counts).toMatchObject({ ok: 0, dropped: 3, deadLettered: 0 });

    // A copy appended again (same event id), twice in one batch; the same expense re-sent under a new event id (a
    // retry from another service); and another event reusing an expense id with other content.
    const resent = { ...log[1]!, id: randomUUID() };
    const reused = { ...expense("exp-1", 1_000), id: randomUUID() };
    const more = await world.runBatch(toRecords(org, [log[1], log[1], resent, reused, log[2]], { firstOffset: 3 }));
    expect(more.outcome.counts).toMatchObject({ ok: 0, dropped: 4, deadLettered: 1 });
    expect(await rejectedReasons(org)).toEqual(["business_id_conflict"]);

    expect(await budgets(org)).toEqual([["florist", "GBP", 150_000, log[0]!.id, 52_000]]);
    const expenses = await world.sql.query(
      "SELECT expense_id, amount, event_id FROM expenses WHERE org_id = $1 ORDER BY expense_id",
      [org],
    );
    expect(expenses).toEqual([
      { expense_id: "exp-1", amount: 42_000, event_id: log[1]!.id },
      { expense_id: "exp-2", amount: 10_000, event_id: log[2]!.id },
    ]);
  });
});
