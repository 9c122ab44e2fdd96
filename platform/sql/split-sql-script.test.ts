import { describe, expect, it } from "vitest";
import { splitSqlScript } from "./split-sql-script.ts";

describe("splitSqlScript", () => {
  it("splits on top-level semicolons and drops comments and empty statements", () => {
    const script =
      "-- heading; not a statement\nCREATE TABLE a (x int);\n\n/* block; /* nested; */ still */ SELECT 1;;\n";
    expect(splitSqlScript(script, "postgres")).toEqual(["CREATE TABLE a (x int)", "SELECT 1"]);
  });

  it("keeps semicolons and comment markers inside quotes", () => {
    const script = `INSERT INTO t VALUES ('a;b', 'it''s -- fine', "odd;name"); SELECT 2`;
    expect(splitSqlScript(script, "postgres")).toEqual([
      `INSERT INTO t VALUES ('a;b', 'it''s -- fine', "odd;name")`,
      "SELECT 2",
    ]);
  });

  it("keeps Postgres dollar-quoted bodies whole", () => {
    const script = "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; SELECT $$x;y$$";
    expect(splitSqlScript(script, "postgres")).toEqual([
      "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
      "SELECT $$x;y$$",
    ]);
  });

  it("honours ClickHouse backslash escapes and backquoted identifiers", () => {
    const script = "SELECT 'it\\'s; here' AS `a;b`; SELECT 2";
    expect(splitSqlScript(script, "clickhouse")).toEqual(["SELECT 'it\\'s; here' AS `a;b`", "SELECT 2"]);
  });

  it("treats a backslash as an ordinary character in Postgres strings", () => {
    expect(splitSqlScript("SELECT '\\'; SELECT 2", "postgres")).toEqual(["SELECT '\\'", "SELECT 2"]);
  });
});
