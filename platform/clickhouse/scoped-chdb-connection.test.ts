import path from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, type TempDir } from "../../test/support/temp-dir.ts";
import { createScopedChdbConnection } from "./scoped-chdb-connection.ts";

// One chDB data directory per process: every test of this file shares it.
let dir: TempDir;
let client: ClickHouseClient;

const open = () =>
  createClient({ connection: createScopedChdbConnection({ path: path.join(dir.path, "clickhouse") }) });

const rows = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: "JSONEachRow" })).json<T>();

beforeAll(async () => {
  dir = await makeTempDir("wedsync-chdb-connection");
  client = open();
  await client.command({
    query: `CREATE TABLE items (id UInt32, label String) ENGINE = MergeTree ORDER BY id
            SETTINGS non_replicated_deduplication_window = 1000`,
  });
});

afterAll(async () => {
  try {
    await client?.close();
  } finally {
    await dir?.cleanup();
  }
});

describe("scoped chDB connection", () => {
  it("keeps an insert's deduplication token to that insert", async () => {
    const insert = (id: number, token?: string) =>
      client.insert({
        table: "items",
        values: [{ id, label: `item ${id}` }],
        format: "JSONEachRow",
        ...(token === undefined ? {} : { clickhouse_settings: { insert_deduplication_token: token } }),
      });
    await insert(1, "batch-1");
    await insert(2, "batch-1");
    // With the token leaking into the session these two would be dropped as repeats of batch-1.
    await insert(3);
    await insert(4);
    expect(await rows("SELECT id FROM items WHERE id <= 4 ORDER BY id")).toEqual([{ id: 1 }, { id: 3 }, { id: 4 }]);
    expect(await rows("SELECT getSetting('insert_deduplication_token') AS token")).toEqual([{ token: "" }]);
  });

  it("resets a query's settings after it", async () => {
    const limited = await client.query({
      query: "SELECT getSetting('max_execution_time') AS limit",
      format: "JSONEachRow",
      clickhouse_settings: { max_execution_time: 123 },
    });
    expect(await limited.json()).toEqual([{ limit: 123 }]);
    expect(await rows("SELECT getSetting('max_execution_time') AS limit")).toEqual([{ limit: 0 }]);
  });

  it("keeps concurrent calls with and without settings apart", async () => {
    const ids = Array.from({ length: 40 }, (_, index) => 100 + index);
    await Promise.all(
      ids.map((id) =>
        id % 2 === 0
          ? client.insert({
              table: "items",
              values: [{ id, label: "tokened" }],
              format: "JSONEachRow",
              clickhouse_settings: { insert_deduplication_token: `token-${id}` },
            })
          : id % 3 === 0
            ? client.command({ query: "SELECT 1", clickhouse_settings: { max_execution_time: 5 } })
            : client.insert({ table: "items", values: [{ id, label: "plain" }], format: "JSONEachRow" }),
      ),
    );
    const expected = ids.filter((id) => id % 2 === 0 || id % 3 !== 0);
    const stored = await rows<{ id: number }>("SELECT id FROM items WHERE id >= 100 ORDER BY id");
    expect(stored.map((row) => row.id)).toEqual(expected);
  });

  it("can open the same directory again after close", async () => {
    await client.close();
    client = open();
    expect(await rows("SELECT count() AS n FROM items WHERE id <= 4")).toEqual([{ n: 3 }]);
  });
});
