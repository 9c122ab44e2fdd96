import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PartitionTakenOverError } from "../platform/errors.ts";
import { openPipelineTestWorld, toRecords, type PipelineTestWorld } from "../test/support/pipeline-test-world.ts";
import { createPipeline } from "./pipeline.ts";
import {
  commitBatchState,
  insertBatchRows,
  loadOffsets,
  recordPendingRange,
  settleRevenue,
  type BatchRange,
} from "./write-batch.ts";

const examples = JSON.parse(readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8")) as any[];
const example = (type: string) => ({ ...structuredClone(examples.find((e) => e.type === type)), id: randomUUID() });

let world: PipelineTestWorld;

beforeAll(async () => {
  world = await openPipelineTestWorld("wedsync-write-batch");
});

afterAll(async () => {
  await world?.close();
});

/** One booking of a fresh organisation, processed and recorded as pending: ready for its commit. */
async function pendingBatch(group = `g-${randomUUID()}`) {
  const orgId = `org_${randomUUID()}`;
  const records = toRecords(orgId, [example("booking.created")]);
  const range: BatchRange = { group, topic: records[0]!.topic, partition: 0, from: 0, to: 1 };
  const process = createPipeline({ sql: world.sql, options: { duplicatePaymentWindowMs: 86_400_000 } });
  const outcome = await settleRevenue(world.sql, await process(records));
  await recordPendingRange(world.sql, range);
  return { orgId, range, outcome };
}

async function bookingsOf(orgId: string): Promise<number> {
  const [row] = await world.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM bookings WHERE org_id = $1", [
    orgId,
  ]);
  return row!.n;
}

async function eventRowsOf(orgId: string): Promise<number> {
  const result = await world.ch.query({
    query: "SELECT count() AS n FROM events FINAL WHERE org_id = {org:String}",
    query_params: { org: orgId },
    format: "JSONEachRow",
  });
  const [row] = (await result.json()) as { n: string }[];
  return Number(row!.n);
}

describe("a batch's commit beside its ClickHouse insert", () => {
  it("commits the Postgres state and the offset once the insert has succeeded", async () => {
    const { orgId, range, outcome } = await pendingBatch();
    await commitBatchState(world.sql, range, outcome, () => insertBatchRows(world.ch, range, outcome));
    expect(await eventRowsOf(orgId)).toBe(1);
    expect(await bookingsOf(orgId)).toBe(1);
    expect((await loadOffsets(world.sql, range.group, range.topic)).get(0)).toEqual({ next: 1, pendingEnd: null });
  });

  it("rolls the Postgres writes back when the insert fails, and throws the insert's error", async () => {
    const { orgId, range, outcome } = await pendingBatch();
    const refused = new Error("ClickHouse refused the insert");
    await expect(
      commitBatchState(world.sql, range, outcome, async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(await bookingsOf(orgId)).toBe(0);
    // Still pending: a retry recomputes exactly this range.
    expect((await loadOffsets(world.sql, range.group, range.topic)).get(0)).toEqual({ next: 0, pendingEnd: 1 });
  });

  it("throws a Postgres failure only once the insert has settled, so nothing of the attempt is left in flight", async () => {
    const { orgId, range, outcome } = await pendingBatch();
    const refused = new Error("Postgres refused a row");
    outcome.state.persist = async () => {
      throw refused;
    };
    let insertSettled = false;
    const slowInsert = async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      insertSettled = true;
    };
    const failure = await commitBatchState(world.sql, range, outcome, slowInsert).catch((error: unknown) => error);
    expect(failure).toBe(refused);
    expect(insertSettled).toBe(true);
    expect(await bookingsOf(orgId)).toBe(0);
    expect((await loadOffsets(world.sql, range.group, range.topic)).get(0)).toEqual({ next: 0, pendingEnd: 1 });
  });

  it("refuses the commit of a range another member committed first, after its insert", async () => {
    const { range, outcome } = await pendingBatch();
    await world.sql.query(
      "UPDATE consumer_offsets SET next_offset = 1, pending_end = NULL WHERE group_id = $1 AND topic = $2",
      [range.group, range.topic],
    );
    let inserted = false;
    const insert = async () => {
      inserted = true;
    };
    await expect(commitBatchState(world.sql, range, outcome, insert)).rejects.toBeInstanceOf(PartitionTakenOverError);
    expect(inserted).toBe(true);
  });

  it("waits for the insert even when it fails after the Postgres writes did", async () => {
    const { orgId, range, outcome } = await pendingBatch();
    let insertSettled = false;
    const lateFailure = async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      insertSettled = true;
      throw new Error("lost the ClickHouse connection");
    };
    await expect(commitBatchState(world.sql, range, outcome, lateFailure)).rejects.toThrow("lost the ClickHouse");
    expect(insertSettled).toBe(true);
    expect(await bookingsOf(orgId)).toBe(0);
  });

  it("lets go of its connection while a slow insert runs, and commits once the insert has succeeded", async () => {
    const { orgId, range, outcome } = await pendingBatch();
    let release!: () => void;
    const slowInsert = () => new Promise<void>((resolve) => (release = resolve));
    const committing = commitBatchState(world.sql, range, outcome, slowInsert, { holdMs: 50 });
    // PGlite has one connection: this query could not run while the batch's transaction held it, and the insert is
    // released only after it ran.
    const [row] = await world.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM bookings WHERE org_id = $1", [
      orgId,
    ]);
    expect(row!.n).toBe(0);
    release();
    await committing;
    expect(await bookingsOf(orgId)).toBe(1);
    expect((await loadOffsets(world.sql, range.group, range.topic)).get(0)).toEqual({ next: 1, pendingEnd: null });
  });

  it("commits nothing when a slow insert fails after the transaction let go, and throws the insert's error", async () => {
    const { orgId, range, outcome } = await pendingBatch();
    let fail!: (error: Error) => void;
    const slowInsert = () => new Promise<void>((_, reject) => (fail = reject));
    const committing = commitBatchState(world.sql, range, outcome, slowInsert, { holdMs: 50 });
    await world.sql.query("SELECT 1");
    fail(new Error("ClickHouse went away"));
    await expect(committing).rejects.toThrow("ClickHouse went away");
    expect(await bookingsOf(orgId)).toBe(0);
    expect((await loadOffsets(world.sql, range.group, range.topic)).get(0)).toEqual({ next: 0, pendingEnd: 1 });
  });

  it("refuses the commit when another member committed the range while a slow insert ran", async () => {
    const { range, outcome } = await pendingBatch();
    let release!: () => void;
    const slowInsert = () => new Promise<void>((resolve) => (release = resolve));
    const committing = commitBatchState(world.sql, range, outcome, slowInsert, { holdMs: 50 });
    await world.sql.query(
      "UPDATE consumer_offsets SET next_offset = 1, pending_end = NULL WHERE group_id = $1 AND topic = $2",
      [range.group, range.topic],
    );
    release();
    await expect(committing).rejects.toBeInstanceOf(PartitionTakenOverError);
  });
});
