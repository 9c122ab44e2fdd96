import { randomBytes, randomUUID } from "node:crypto";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, type TempDir } from "../../test/support/temp-dir.ts";
import { createClickHouse } from "./create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "./migrate.ts";

const clickhouseUrl = process.env.CLICKHOUSE_URL;

if (clickhouseUrl === undefined) {
  console.info("clickhouse migrate: CLICKHOUSE_URL is not set, skipping the ClickHouse server variant");
}

/** One database for every test of a suite, and how to remove it. */
interface ClickHouseWorld {
  client: ClickHouseClient;
  dispose(): Promise<void>;
}

/** An `events` row of org with id, as the processors would write it. */
function eventRow(org: string, id: string, offset: number) {
  return {
    org_id: org,
    id,
    type: "payment.received",
    occurred_at: "2026-06-13T14:03:00.000Z",
    received_at: "2026-06-13T14:03:01.000Z",
    source: "test",
    wedding_id: "w-1",
    booking_id: "b-1",
    payment_id: `p-${offset}`,
    supplier_id: "s-1",
    service: "venue",
    category: "",
    region: "",
    venue_id: "",
    channel: "",
    method: "card",
    kind: "deposit",
    wedding_date: null,
    guest_count: null,
    amount: 125_000,
    currency: "GBP",
    data: "{}",
    log_partition: 0,
    log_offset: offset,
  };
}

/** The migration suite, on whatever ClickHouse open provides; tests run in order on one database. */
function describeMigrations(name: string, open: () => Promise<ClickHouseWorld>) {
  describe(`ClickHouse migrations: ${name}`, () => {
    let world: ClickHouseWorld;
    const count = async (query: string, params: Record<string, unknown> = {}) => {
      const result = await world.client.query({ query, query_params: params, format: "JSONEachRow" });
      const [row] = await result.json<{ n: number | string }>();
      return Number(row?.n);
    };

    beforeAll(async () => {
      world = await open();
    });

    afterAll(async () => {
      await world?.dispose();
    });

    it("applies the product's migrations and records them", async () => {
      expect(await migrateClickHouse(world.client, CLICKHOUSE_MIGRATIONS_DIR)).toEqual([1, 2, 3]);
      const tables = await (
        await world.client.query({
          query: "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name",
          format: "JSONEachRow",
        })
      ).json<{ name: string }>();
      expect(tables.map((table) => table.name)).toEqual([
        "anomalies",
        "events",
        "rejected_events",
        "revenue_daily",
        "schema_migrations",
      ]);
    });

    it("does nothing on a rerun", async () => {
      expect(await migrateClickHouse(world.client, CLICKHOUSE_MIGRATIONS_DIR)).toEqual([]);
      expect(await count("SELECT count() AS n FROM schema_migrations")).toBe(3);
    });

    it("stores an insert repeated with the same deduplication token once", async () => {
      const org = `org-${randomBytes(4).toString("hex")}`;
      const insert = (rows: ReturnType<typeof eventRow>[], token: string) =>
        world.client.insert({
          table: "events",
          values: rows,
          format: "JSONEachRow",
          clickhouse_settings: { insert_deduplication_token: token },
        });
      const batch = [eventRow(org, randomUUID(), 0), eventRow(org, randomUUID(), 1)];
      await insert(batch, `${org}:0-1`);
      await insert(batch, `${org}:0-1`);
      // The token, not the content, decides: a replay of the range with rebuilt rows is dropped too.
      await insert([eventRow(org, randomUUID(), 0)], `${org}:0-1`);
      await insert([eventRow(org, randomUUID(), 2)], `${org}:2-2`);
      expect(await count("SELECT count() AS n FROM events WHERE org_id = {org:String}", { org })).toBe(3);
    });

    it("filters with a bound parameter", async () => {
      const [mine, theirs] = [`org-${randomBytes(4).toString("hex")}`, `org-${randomBytes(4).toString("hex")}`];
      await world.client.insert({
        table: "events",
        values: [
          eventRow(mine, randomUUID(), 10),
          eventRow(theirs, randomUUID(), 11),
          eventRow(theirs, randomUUID(), 12),
        ],
        format: "JSONEachRow",
      });
      const query = "SELECT count() AS n FROM events WHERE org_id = {org:String}";
      expect(await count(query, { org: mine })).toBe(1);
      expect(await count(query, { org: theirs })).toBe(2);
      expect(await count(query, { org: `${mine}' OR 1 = 1 --` })).toBe(0);
    });

    it("returns counts and timestamps in the same shapes", async () => {
      const [row] = await (
        await world.client.query({
          query: "SELECT count() AS n, max(occurred_at) AS at FROM events",
          format: "JSONEachRow",
        })
      ).json<{ n: unknown; at: unknown }>();
      expect(row).toEqual({ n: expect.any(Number), at: "2026-06-13 14:03:00.000" });
    });
  });
}

describeMigrations("chDB", async () => {
  // One chDB data directory per process: this world is the only one of the file.
  const dir: TempDir = await makeTempDir("wedsync-clickhouse");
  const client = createClickHouse({ url: undefined, dataDir: dir.path });
  return {
    client,
    async dispose() {
      try {
        await client.close();
      } finally {
        await dir.cleanup();
      }
    },
  };
});

describe.skipIf(clickhouseUrl === undefined)("on a server", () => {
  describeMigrations("ClickHouse server", async () => {
    const database = `wedsync_test_${randomBytes(6).toString("hex")}`;
    const admin = createClient({ url: clickhouseUrl });
    await admin.command({ query: `CREATE DATABASE ${database}` });
    const url = new URL(clickhouseUrl as string);
    url.pathname = `/${database}`;
    const client = createClickHouse({ url: url.toString(), dataDir: "unused" });
    return {
      client,
      async dispose() {
        try {
          await client.close();
          await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
        } finally {
          await admin.close();
        }
      },
    };
  });
});
