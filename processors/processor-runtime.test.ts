import path from "node:path";
import { Writable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import { noCrash } from "../platform/crash-points.ts";
import { OffsetsAheadOfLogError } from "../platform/errors.ts";
import { createEventLog } from "../platform/event-log/create-event-log.ts";
import type { EventLog } from "../platform/event-log/event-log.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createPipeline } from "./pipeline.ts";
import { createProcessor } from "./processor-runtime.ts";
import { loadOffsets } from "./write-batch.ts";

const TOPIC = "runtime-test";
const GROUP = "runtime-test-group";

let dir: TempDir;
let log: EventLog;
let sql: SqlClient;

beforeEach(async () => {
  dir = await makeTempDir("wedsync-runtime");
  sql = await createTestPglite(path.join(dir.path, "pg"));
  log = await createEventLog({
    kafkaBrokers: undefined,
    dataDir: dir.path,
    partitions: 1,
    logger: pino({ level: "silent" }),
  });
  // Three records in the log's one partition: it ends at offset 3.
  await log.append(
    TOPIC,
    ["a", "b", "c"].map((key) => ({ key, value: Buffer.from("{}") })),
  );
});

afterEach(async () => {
  await log?.close();
  await sql?.close();
  await dir?.cleanup();
});

/** A processor of the test's log and database, with every log line it writes and every failure it reports. */
function processorOverTheLog() {
  const lines: { level: number; event?: string; err?: { type?: string; code?: string } }[] = [];
  const logger = pino(
    { level: "debug" },
    new Writable({ write: (chunk, _encoding, done) => done(void lines.push(JSON.parse(String(chunk)))) }),
  );
  const failures: unknown[] = [];
  const processor = createProcessor({
    log,
    sql,
    // Never reached: the processor stops before it writes anything.
    ch: {} as ClickHouseClient,
    logger,
    processRecords: createPipeline({ sql, options: { duplicatePaymentWindowMs: 86_400_000 } }),
    topic: TOPIC,
    group: GROUP,
    crash: noCrash,
    batchSize: 100,
    onFailure: (error) => failures.push(error),
  });
  return { processor, lines, failures };
}

const setOffsets = (next: number, pendingEnd: number | null) =>
  sql.query(
    "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, pending_end) VALUES ($1, $2, 0, $3, $4)",
    [GROUP, TOPIC, next, pendingEnd],
  );

describe("the processor runtime", () => {
  it("stops with one fatal log, and no restart, when the log ends before the range Postgres recorded as pending", async () => {
    // A crash left [0, 10) pending; the log now holds only [0, 3): it lost records, or is not the one Postgres was fed
    // from. Restarting cannot help, and recomputing a shorter range would commit a batch other than the recorded one.
    await setOffsets(0, 10);
    const { processor, lines, failures } = processorOverTheLog();
    await processor.start();

    const stopped = await processor.done.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(stopped).toBeInstanceOf(OffsetsAheadOfLogError);
    expect(stopped).toMatchObject({ code: "offsets_ahead_of_log", retriable: false });
    expect((stopped as Error).message).toMatch(/pending up to 10, but the log ends at 3/);
    expect(lines.filter((l) => l.event?.startsWith("processor."))).toEqual([
      expect.objectContaining({
        level: 60,
        event: "processor.fatal",
        err: expect.objectContaining({ type: "OffsetsAheadOfLogError" }),
      }),
    ]);
    expect(failures).toEqual([]);
    // Nothing was written: the pending range is still there for whoever puts the right log back.
    expect(await loadOffsets(sql, GROUP, TOPIC)).toEqual(new Map([[0, { next: 0, pendingEnd: 10 }]]));
    await expect(processor.stop()).rejects.toBeInstanceOf(OffsetsAheadOfLogError);
  });

  it("stops likewise when Postgres says a partition was processed past the log's end", async () => {
    await setOffsets(10, null);
    const { processor, lines, failures } = processorOverTheLog();
    await processor.start();

    await expect(processor.done).rejects.toThrow(/processed up to 10, but the log ends at 3/);
    expect(lines.filter((l) => l.event?.startsWith("processor.")).map((l) => l.event)).toEqual(["processor.fatal"]);
    expect(failures).toEqual([]);
    await expect(processor.stop()).rejects.toBeInstanceOf(OffsetsAheadOfLogError);
  });
});
