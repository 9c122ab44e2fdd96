import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse } from "../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../platform/clickhouse/migrate.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createPipeline } from "../processors/pipeline.ts";
import { commitBatchState, insertBatchRows, settleRevenue } from "../processors/write-batch.ts";
import { encodeLogEnvelope, EVENTS_TOPIC } from "../schemas/index.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import { queryRevenue } from "./revenue-query.ts";

const examples = JSON.parse(readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8")) as any[];

let dir: TempDir;
let sql: SqlClient;
let ch: ClickHouseClient;
const org = `org_${randomUUID()}`;
const otherOrg = `org_${randomUUID()}`;

beforeAll(async () => {
  dir = await makeTempDir("wedsync-revenue");
  sql = await createTestPglite(path.join(dir.path, "pg"));
  ch = createClickHouse({ url: undefined, dataDir: dir.path });
  await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
  const processRecords = createPipeline({ sql, options: { duplicatePaymentWindowMs: 86_400_000 } });
  let offset = 0;
  for (const orgId of [org, otherOrg]) {
    const records = examples.map((event) => ({
      topic: EVENTS_TOPIC,
      partition: 0,
      offset: offset++,
      key: "k",
      value: encodeLogEnvelope({ orgId, receivedAt: "2026-10-01T00:00:00Z", event }),
      timestamp: 0,
    }));
    const range = { group: "g", topic: EVENTS_TOPIC, partition: 0, from: records[0]!.offset, to: offset };
    const outcome = await settleRevenue(sql, await processRecords(records));
    await insertBatchRows(ch, range, outcome);
    await commitBatchState(sql, range, outcome);
  }
});

afterAll(async () => {
  await ch?.close();
  await sql?.close();
  await dir?.cleanup();
});

describe("queryRevenue", () => {
  it("buckets bookings at their latest contract value, and payments and refunds by their own day", async () => {
    const rows = await queryRevenue(ch, {
      orgId: org,
      from: "2026-01-01",
      to: "2026-12-31",
      interval: "month",
      groupBy: "none",
    });
    expect(rows).toEqual([
      {
        bucket: "2026-01-01",
        group: null,
        currency: "GBP",
        bookings: 1,
        contractValue: 220_000,
        paymentsReceived: 55_000,
        refunds: 0,
      },
      {
        bucket: "2026-05-01",
        group: null,
        currency: "GBP",
        bookings: 0,
        contractValue: 0,
        paymentsReceived: 0,
        refunds: 5_000,
      },
    ]);
  });

  it("splits by service and region, and by day and Monday-weeks", async () => {
    const byService = await queryRevenue(ch, {
      orgId: org,
      from: "2026-01-01",
      to: "2026-12-31",
      interval: "month",
      groupBy: "service",
    });
    expect(byService.every((r) => r.group === "photography")).toBe(true);
    const byRegion = await queryRevenue(ch, {
      orgId: org,
      from: "2026-01-15",
      to: "2026-01-15",
      interval: "week",
      groupBy: "region",
    });
    expect(byRegion).toEqual([
      {
        bucket: "2026-01-12",
        group: "Yorkshire",
        currency: "GBP",
        bookings: 1,
        contractValue: 220_000,
        paymentsReceived: 55_000,
        refunds: 0,
      },
    ]);
    const byDay = await queryRevenue(ch, {
      orgId: org,
      from: "2026-05-01",
      to: "2026-05-01",
      interval: "day",
      groupBy: "none",
    });
    expect(byDay).toEqual([
      {
        bucket: "2026-05-01",
        group: null,
        currency: "GBP",
        bookings: 0,
        contractValue: 0,
        paymentsReceived: 0,
        refunds: 5_000,
      },
    ]);
  });

  it("answers only for the organisation asked about, and nothing outside the dates", async () => {
    expect(
      await queryRevenue(ch, {
        orgId: "org_nobody",
        from: "2026-01-01",
        to: "2026-12-31",
        interval: "month",
        groupBy: "none",
      }),
    ).toEqual([]);
    expect(
      await queryRevenue(ch, { orgId: org, from: "2025-01-01", to: "2025-12-31", interval: "month", groupBy: "none" }),
    ).toEqual([]);
  });
});
