import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeTempDir } from "../../test/support/temp-dir.ts";
import { readMigrationFiles } from "./migration-files.ts";
import { POSTGRES_MIGRATIONS_DIR, migrateSql } from "./migrate.ts";
import type { SqlClient } from "./sql-client.ts";

/** One empty database for one test, and how to remove it. */
export interface SqlClientFixture {
  sql: SqlClient;
  /** Closes the client and removes the database. */
  dispose(): Promise<void>;
}

/** The promises every SqlClient keeps, run against a fresh, empty database per test made by make. */
export function describeSqlClientContract(name: string, make: () => Promise<SqlClientFixture>): void {
  describe(`SqlClient contract: ${name}`, () => {
    let fixture: SqlClientFixture;
    let sql: SqlClient;

    beforeEach(async () => {
      fixture = await make();
      sql = fixture.sql;
    });

    afterEach(async () => {
      await fixture.dispose();
    });

    it("binds parameters instead of splicing them into the text", async () => {
      const hostile = "x'); DROP TABLE pg_class; --";
      const rows = await sql.query("SELECT $1::text AS value, $2::int AS n", [hostile, 7]);
      expect(rows).toEqual([{ value: hostile, n: 7 }]);
    });

    it("returns the same JavaScript types on every adapter", async () => {
      await sql.exec(`CREATE TABLE typed (
        t text, i integer, b bigint, ts timestamptz, j jsonb, flag boolean, d date, n numeric)`);
      const at = new Date("2026-06-13T14:03:00.123Z");
      await sql.query("INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", [
        "text",
        42,
        1_000_000_000_000,
        at,
        JSON.stringify({ nested: { list: [1, "two"] } }),
        true,
        "2028-02-29",
        "12.50",
      ]);
      const [row] = await sql.query("SELECT * FROM typed");
      expect(row).toEqual({
        t: "text",
        i: 42,
        b: 1_000_000_000_000,
        ts: at,
        j: { nested: { list: [1, "two"] } },
        flag: true,
        d: new Date("2028-02-29T00:00:00.000Z"),
        n: 12.5,
      });

      const [aggregates] = await sql.query(
        `SELECT count(*) AS rows, sum(b) AS total, array_agg(b) AS list,
                9007199254740993::bigint AS huge, 12345678901234567890.5::numeric AS exact
           FROM typed`,
      );
      expect(aggregates).toEqual({
        rows: 1,
        total: 1_000_000_000_000,
        list: [1_000_000_000_000],
        huge: 9007199254740993n,
        exact: "12345678901234567890.5",
      });
    });

    it("commits a transaction that resolves", async () => {
      await sql.exec("CREATE TABLE items (id integer PRIMARY KEY)");
      const result = await sql.transaction(async (tx) => {
        await tx.query("INSERT INTO items VALUES ($1)", [1]);
        await tx.query("INSERT INTO items VALUES ($1)", [2]);
        return (await tx.query<{ n: number }>("SELECT count(*) AS n FROM items"))[0]?.n;
      });
      expect(result).toBe(2);
      expect(await sql.query("SELECT id FROM items ORDER BY id")).toEqual([{ id: 1 }, { id: 2 }]);
    });

    it("rolls back everything when the transaction throws, and rethrows the same error", async () => {
      await sql.exec("CREATE TABLE items (id integer PRIMARY KEY)");
      const failure = new Error("stop here");
      await expect(
        sql.transaction(async (tx) => {
          await tx.query("INSERT INTO items VALUES ($1)", [1]);
          await tx.query("INSERT INTO items VALUES ($1)", [2]);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await sql.query("SELECT id FROM items")).toEqual([]);
    });

    it("rolls back when a statement in the transaction fails, and stays usable", async () => {
      await sql.exec("CREATE TABLE items (id integer PRIMARY KEY)");
      await expect(
        sql.transaction(async (tx) => {
          await tx.query("INSERT INTO items VALUES ($1)", [1]);
          await tx.query("INSERT INTO items VALUES ($1)", [1]);
        }),
      ).rejects.toMatchObject({ code: "23505" });
      expect(await sql.query("SELECT id FROM items")).toEqual([]);
      await sql.transaction((tx) => tx.query("INSERT INTO items VALUES ($1)", [3]));
      expect(await sql.query("SELECT id FROM items")).toEqual([{ id: 3 }]);
    });

    it("runs a script of several statements with exec", async () => {
      await sql.exec("CREATE TABLE a (x int); INSERT INTO a VALUES (1); INSERT INTO a VALUES (2);");
      expect(await sql.query("SELECT sum(x) AS total FROM a")).toEqual([{ total: 3 }]);
    });

    it("applies migrations in version order, once, and records them", async () => {
      const dir = await makeTempDir("wedsync-migrations");
      try {
        // 010 needs the column 002 adds, so a lexicographic or creation-order run would fail.
        await fs.writeFile(path.join(dir.path, "010_seed.sql"), "INSERT INTO things (id, label) VALUES (1, 'a;b');\n");
        await fs.writeFile(
          path.join(dir.path, "002_label.sql"),
          "-- adds a label; the ; in this comment is not a statement end\nALTER TABLE things ADD COLUMN label text;\n",
        );
        await fs.writeFile(path.join(dir.path, "001_things.sql"), "CREATE TABLE things (id integer PRIMARY KEY);\n");
        await fs.writeFile(path.join(dir.path, "README.md"), "not a migration");

        expect(await migrateSql(sql, dir.path)).toEqual([1, 2, 10]);
        expect(await migrateSql(sql, dir.path)).toEqual([]);
        expect(await sql.query("SELECT id, label FROM things")).toEqual([{ id: 1, label: "a;b" }]);

        await fs.writeFile(path.join(dir.path, "011_more.sql"), "INSERT INTO things (id, label) VALUES (2, 'c');");
        expect(await migrateSql(sql, dir.path)).toEqual([11]);
        const recorded = await sql.query("SELECT version, name FROM schema_migrations ORDER BY applied_at, version");
        expect(recorded).toEqual([
          { version: 1, name: "001_things.sql" },
          { version: 2, name: "002_label.sql" },
          { version: 10, name: "010_seed.sql" },
          { version: 11, name: "011_more.sql" },
        ]);
      } finally {
        await dir.cleanup();
      }
    });

    it("rolls back a failing migration whole and records nothing for it", async () => {
      const dir = await makeTempDir("wedsync-migrations");
      try {
        await fs.writeFile(path.join(dir.path, "001_ok.sql"), "CREATE TABLE ok (id int);");
        await fs.writeFile(path.join(dir.path, "002_bad.sql"), "CREATE TABLE half (id int);\nSELECT * FROM missing;");
        await expect(migrateSql(sql, dir.path)).rejects.toMatchObject({
          code: "migration_failed",
          details: { version: 2, file: "002_bad.sql", statement: 2 },
        });
        expect(await sql.query("SELECT version FROM schema_migrations")).toEqual([{ version: 1 }]);
        expect(await sql.query("SELECT to_regclass('half') IS NULL AS absent")).toEqual([{ absent: true }]);
      } finally {
        await dir.cleanup();
      }
    });

    it("lets concurrent migration runs take turns", async () => {
      const versions = (await readMigrationFiles(POSTGRES_MIGRATIONS_DIR)).map((m) => m.version);
      const runs = await Promise.all([1, 2, 3].map(() => migrateSql(sql, POSTGRES_MIGRATIONS_DIR)));
      expect(runs.flat().sort((a, b) => a - b)).toEqual(versions);
      expect(await sql.query("SELECT version FROM schema_migrations ORDER BY version")).toEqual(
        versions.map((version) => ({ version })),
      );
    });

    it("applies the product's migrations cleanly", async () => {
      const versions = (await readMigrationFiles(POSTGRES_MIGRATIONS_DIR)).map((m) => m.version);
      expect(await migrateSql(sql, POSTGRES_MIGRATIONS_DIR)).toEqual(versions);
      const tables = await sql.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
      );
      expect(tables.map((table) => table.table_name)).toEqual(
        expect.arrayContaining(["organisations", "api_keys", "bookings", "payments", "anomalies", "consumer_offsets"]),
      );
    });
  });
}
