import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrashHook } from "../platform/crash-points.ts";
import { noCrash } from "../platform/crash-points.ts";
import { PartitionTakenOverError } from "../platform/errors.ts";
import { createEventLog } from "../platform/event-log/create-event-log.ts";
import type { EventLog, LogRecord } from "../platform/event-log/event-log.ts";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import { createBatchHandler, type BatchHandlerDeps } from "./batch-handler.ts";
import { createPipeline } from "./pipeline.ts";
import { loadOffsets } from "./write-batch.ts";

const examples = JSON.parse(readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8")) as any[];
const example = (type: string) => ({ ...structuredClone(examples.find((e) => e.type === type)), id: randomUUID() });

const TOPIC = "handover-test";
let world: PipelineTestWorld;
let log: EventLog;

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-handover");
  // The members commit to it after Postgres (for lag tooling); the ranges themselves are handed to them whole.
  log = await createEventLog({
    kafkaBrokers: undefined,
    dataDir: world.dir.path,
    partitions: 1,
    logger: pino({ level: "silent" }),
  });
});

afterAll(async () => {
  await log?.close();
  await world?.close();
});

/** One member of a consumer group: a batch handler over the shared stores, stopped by `crash` where it says. */
function member(group: string, pendingEnds: Map<number, number>, crash: CrashHook = noCrash) {
  const deps: BatchHandlerDeps = {
    log,
    sql: world.sql,
    ch: world.ch,
    logger: pino({ level: "silent" }),
    processRecords: createPipeline({ sql: world.sql, options: { duplicatePaymentWindowMs: 86_400_000 } }),
    topic: TOPIC,
    group,
    crash,
  };
  return createBatchHandler(deps, pendingEnds);
}

/** Where a member handed the partition starts, as the processor runtime reads it on assignment. */
async function startOf(group: string, partition: number): Promise<Map<number, number>> {
  const committed = (await loadOffsets(world.sql, group, TOPIC)).get(partition);
  return new Map(committed?.pendingEnd ? [[partition, committed.pendingEnd]] : []);
}

async function paidOf(orgId: string): Promise<{ payments: number; received: number }> {
  const [row] = await world.sql.query<{ payments: number; received: number }>(
    `SELECT (SELECT count(*) FROM payments WHERE org_id = $1)::int AS payments,
            (SELECT coalesce(sum(payments_received), 0) FROM revenue_daily WHERE org_id = $1)::int AS received`,
    [orgId],
  );
  return row!;
}

const batch = (records: LogRecord[]) => ({ topic: TOPIC, partition: 0, records, highWatermark: 100 });

describe("a partition handed from one processor to another", () => {
  it("is committed once when the old owner dies between its ClickHouse insert and its Postgres commit, and the old owner cannot commit it afterwards", async () => {
    const group = `g-${randomUUID()}`;
    const orgId = `org_${randomUUID()}`;
    const booking = example("booking.created");
    const payment = { ...example("payment.received"), data: { ...example("payment.received").data } };
    payment.data.bookingId = booking.data.bookingId;
    payment.data.weddingId = booking.data.weddingId;
    const records = toRecords(orgId, [booking, payment], { topic: TOPIC, partition: 0, firstOffset: 0 });

    // The old owner records the range as pending, inserts its ClickHouse rows, and stops before committing.
    const stalled: CrashHook = (point) => {
      if (point === "process.after-clickhouse-insert") throw new Error("old owner stalls here");
    };
    const oldOwner = member(group, new Map(), stalled);
    await expect(oldOwner(batch(records))).rejects.toThrow("old owner stalls here");
    expect((await loadOffsets(world.sql, group, TOPIC)).get(0)).toEqual({ next: 0, pendingEnd: 2 });

    // The group hands the partition over: the new owner starts where Postgres says, pending range included.
    const newOwner = member(group, await startOf(group, 0));
    await newOwner(batch(records));
    expect((await loadOffsets(world.sql, group, TOPIC)).get(0)).toEqual({ next: 2, pendingEnd: null });
    const once = await paidOf(orgId);
    expect(once.payments).toBe(1);
    expect(once.received).toBe(payment.data.amount.amount);

    // The old owner, still alive (a long pause, say), tries its batch again: refused, nothing counted twice.
    const zombie = member(group, new Map());
    const retried = zombie(batch(records));
    await expect(retried).rejects.toBeInstanceOf(PartitionTakenOverError);
    await expect(retried).rejects.toThrow(/partition 0 of handover-test is at 2 in Postgres.*not at 0/);
    expect(await paidOf(orgId)).toEqual(once);
  });

  it("commits a range once when two members write it at the same time", async () => {
    const group = `g-${randomUUID()}`;
    const orgId = `org_${randomUUID()}`;
    const records = toRecords(orgId, [example("booking.created")], { topic: TOPIC, partition: 0, firstOffset: 0 });

    // Both members take the same range from the same offset; the second starts while the first is between its
    // ClickHouse insert and its Postgres commit. Whichever reaches Postgres second finds the offset moved.
    let second: Promise<PromiseSettledResult<void>[]> | undefined;
    const first = member(group, new Map(), (point) => {
      if (point === "process.after-clickhouse-insert")
        second ??= Promise.allSettled([member(group, new Map())(batch(records))]);
    });
    const outcomes = await Promise.allSettled([first(batch(records))]);
    outcomes.push(...(await second!));
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(PartitionTakenOverError);
    expect((await loadOffsets(world.sql, group, TOPIC)).get(0)).toEqual({ next: 1, pendingEnd: null });
    const [row] = await world.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM bookings WHERE org_id = $1", [
      orgId,
    ]);
    expect(row!.n).toBe(1);
  });
});
