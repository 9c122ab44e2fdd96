import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventLog } from "../platform/event-log/event-log.ts";
import { createLmdbEventLog } from "../platform/event-log/lmdb-event-log.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import {
  createProcessingHealthReader,
  createProcessorStallProbe,
  describeStalls,
  ProcessingFailures,
} from "./processing-health.ts";

const TOPIC = "health-topic";
const GROUP = "health-group";
const MINUTE = 60_000;

let dir: TempDir;
let sql: SqlClient;
let log: EventLog;
let appendedAt: number;

/** Records the group's progress on partition 0 as committed `committedInMs` after the real now (negative: before). */
async function committed(next: number, committedInMs: number): Promise<void> {
  await sql.query(
    `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, committed_at)
     VALUES ($1, $2, 0, $3, now() + make_interval(secs => $4::float8 / 1000))
     ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, committed_at = excluded.committed_at`,
    [GROUP, TOPIC, next, committedInMs],
  );
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-health");
  sql = await createTestPglite(path.join(dir.path, "pg"));
  log = await createLmdbEventLog({ path: path.join(dir.path, "log"), partitions: 1 });
  appendedAt = Date.now();
  await log.append(
    TOPIC,
    [0, 1, 2].map((i) => ({ key: "k", value: Buffer.from(String(i)) })),
  );
});

afterAll(async () => {
  await log?.close();
  await sql?.close();
  await dir?.cleanup();
});

describe("processing health", () => {
  it("finds a partition whose events have waited with no commit past the limit, and names it", async () => {
    const read = createProcessingHealthReader({
      log,
      sql,
      topic: TOPIC,
      group: GROUP,
      now: () => appendedAt + 2 * MINUTE,
    });
    const health = await read();
    expect(health.partitions).toEqual([
      {
        partition: 0,
        waiting: 3,
        oldestWaitingAgeMs: expect.closeTo(2 * MINUTE, -3),
        stalledForMs: expect.closeTo(2 * MINUTE, -3),
      },
    ]);
    expect(describeStalls(health, MINUTE)).toEqual([
      expect.stringMatching(/^partition 0 has committed nothing for 12\d s while 3 events wait$/),
    ]);
  });

  it("makes the processor's readiness probe say which partition stalls and this process's last failure", async () => {
    const readHealth = createProcessingHealthReader({
      log,
      sql,
      topic: TOPIC,
      group: GROUP,
      now: () => appendedAt + 2 * MINUTE,
    });
    const failures = new ProcessingFailures();
    const probe = createProcessorStallProbe({ readHealth, failures, stallMs: MINUTE });
    expect(await probe()).toMatch(/^stalled: partition 0 has committed nothing for 12\d s while 3 events wait$/);
    failures.record(new Error("ClickHouse went away"));
    expect(await probe()).toMatch(
      /^stalled: partition 0 .* while 3 events wait; last failure \(\w+\): ClickHouse went away$/,
    );
    expect(await createProcessorStallProbe({ readHealth, failures, stallMs: 10 * MINUTE })()).toBeUndefined();
  });

  it("does not call a backlog a stall while commits go on, though its oldest event is old", async () => {
    const later = Date.now() + 2 * MINUTE;
    await committed(1, 2 * MINUTE - 1000);
    const health = await createProcessingHealthReader({ log, sql, topic: TOPIC, group: GROUP, now: () => later })();
    expect(health.partitions[0]).toMatchObject({ waiting: 2 });
    expect(health.oldestWaitingAgeMs).toBeGreaterThan(MINUTE);
    expect(health.partitions[0]!.stalledForMs).toBeLessThan(5000);
    expect(describeStalls(health, MINUTE)).toEqual([]);
  });

  it("does not call an event that has just arrived at an idle partition a stall, and reads nothing when all is processed", async () => {
    const health = await createProcessingHealthReader({
      log,
      sql,
      topic: TOPIC,
      group: GROUP,
      now: () => appendedAt + 100,
    })();
    expect(describeStalls(health, MINUTE)).toEqual([]);
    await committed(3, -10 * MINUTE);
    const idle = await createProcessingHealthReader({
      log,
      sql,
      topic: TOPIC,
      group: GROUP,
      now: () => Date.now() + 10 * MINUTE,
    })();
    expect(idle).toEqual({
      partitions: [{ partition: 0, waiting: 0, oldestWaitingAgeMs: 0, stalledForMs: 0 }],
      oldestWaitingAgeMs: 0,
    });
  });
});
