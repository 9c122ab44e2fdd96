import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse, type ClickHouseClient } from "../platform/clickhouse/create-clickhouse.ts";
import { InfrastructureError } from "../platform/errors.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import { describeRefusal, failureReasonOf, storeRefusalOf } from "./store-refusal.ts";

// The errors are the stores' own: what the classifier sees in production.
let dir: TempDir;
let sql: SqlClient;
let ch: ClickHouseClient;

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the store to refuse");
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-refusal");
  sql = await createTestPglite(path.join(dir.path, "pg"), { migrationsDir: null });
  ch = createClickHouse({ url: undefined, dataDir: dir.path });
  await sql.exec("CREATE TABLE t (a text, n smallint)");
  await ch.command({ query: "CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a" });
});

afterAll(async () => {
  await ch?.close();
  await sql?.close();
  await dir?.cleanup();
});

describe("storeRefusalOf", () => {
  it("recognises Postgres refusing the values: a NUL byte, a number out of range", async () => {
    const nul = await caught(() => sql.query("INSERT INTO t (a) VALUES ($1)", ["a\u0000b"]));
    expect(storeRefusalOf(nul)).toEqual({ store: "postgres", code: "22021", message: expect.stringContaining("0x00") });
    const range = await caught(() => sql.query("INSERT INTO t (n) VALUES ($1)", [70_000]));
    expect(storeRefusalOf(range)).toMatchObject({ store: "postgres", code: "22003" });
    expect(failureReasonOf(range)).toBe("postgres_refused");
  });

  it("recognises ClickHouse refusing the rows: an unpaired surrogate in JSON input", async () => {
    const surrogate = await caught(() =>
      ch.insert({ table: "t", values: [["r\ud83d"]], format: "JSONCompactEachRow" }),
    );
    const refusal = storeRefusalOf(surrogate);
    expect(refusal).toMatchObject({ store: "clickhouse", code: "CANNOT_PARSE_ESCAPE_SEQUENCE" });
    expect(describeRefusal(refusal!)).toMatch(
      /^ClickHouse refused the event \(CANNOT_PARSE_ESCAPE_SEQUENCE\): Cannot parse escape sequence/,
    );
    expect(failureReasonOf(surrogate)).toBe("clickhouse_refused");
  });

  it("finds a refusal wrapped in a cause or among an AggregateError's errors", async () => {
    const nul = await caught(() => sql.query("INSERT INTO t (a) VALUES ($1)", ["\u0000"]));
    expect(storeRefusalOf(new InfrastructureError("batch failed", { cause: nul }))).toMatchObject({ code: "22021" });
    expect(storeRefusalOf(new AggregateError([new Error("other"), nul]))).toMatchObject({ code: "22021" });
  });

  it("leaves faults of the program and of the infrastructure to be retried", async () => {
    const syntax = await caught(() => sql.query("SELEC 1"));
    expect(storeRefusalOf(syntax)).toBeUndefined();
    expect(failureReasonOf(syntax)).toBe("postgres_error");
    const missing = await caught(() =>
      ch.insert({ table: "no_such_table", values: [["x"]], format: "JSONCompactEachRow" }),
    );
    expect(storeRefusalOf(missing)).toBeUndefined();
    expect(failureReasonOf(missing)).toBe("clickhouse_error");
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(storeRefusalOf(refused)).toBeUndefined();
    expect(failureReasonOf(refused)).toBe("connection_error");
    expect(failureReasonOf(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }))).toBe("connection_error");
    expect(failureReasonOf(new InfrastructureError("log down"))).toBe("infrastructure_error");
    expect(failureReasonOf(new TypeError("x is undefined"))).toBe("unexpected_error");
  });
});
