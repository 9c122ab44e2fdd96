import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureTemplate } from "../../test/support/pglite-template.ts";
import { makeTempDir } from "../../test/support/temp-dir.ts";
import { createSqlClient } from "./create-sql-client.ts";

if (process.env.DATABASE_URL === undefined) {
  console.info("create-sql-client: DATABASE_URL is not set, skipping the Postgres server case");
}

describe("createSqlClient", () => {
  it("opens PGlite in the data directory's postgres folder when no database URL is given", async () => {
    const dir = await makeTempDir("wedsync-sql");
    try {
      // A copy of the template stands in for a previous run's database, so the open is quick and recognisable.
      await fs.cp(await ensureTemplate(null), path.join(dir.path, "postgres"), { recursive: true });
      const sql = await createSqlClient({ databaseUrl: undefined, dataDir: dir.path });
      try {
        expect(await sql.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
        await sql.exec("CREATE TABLE here (x int)");
      } finally {
        await sql.close();
      }
      const reopened = await createSqlClient({ databaseUrl: undefined, dataDir: dir.path });
      try {
        expect(await reopened.query("SELECT to_regclass('here') IS NOT NULL AS present")).toEqual([{ present: true }]);
      } finally {
        await reopened.close();
      }
    } finally {
      await dir.cleanup();
    }
  });

  it.skipIf(process.env.DATABASE_URL === undefined)("connects to Postgres when a database URL is given", async () => {
    const sql = await createSqlClient({ databaseUrl: process.env.DATABASE_URL, dataDir: "unused" });
    try {
      expect(await sql.query("SELECT current_setting('server_version_num')::int >= 100000 AS server")).toEqual([
        { server: true },
      ]);
    } finally {
      await sql.close();
    }
  });
});
