import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makePgSchema } from "../../test/support/pg-schema.ts";
import { makeTempDir } from "../../test/support/temp-dir.ts";
import { InfrastructureError } from "../errors.ts";
import { migrateSql } from "./migrate.ts";
import { createPgClient } from "./pg-client.ts";
import { describeSqlClientContract, type SqlClientFixture } from "./sql-client.contract.ts";

const databaseUrl = process.env.DATABASE_URL;

if (databaseUrl === undefined) {
  console.info("pg-client: DATABASE_URL is not set, skipping the Postgres server tests");
}

/** A fresh schema on the server and a client confined to it. */
async function makePgFixture(): Promise<SqlClientFixture> {
  const schema = await makePgSchema(databaseUrl as string);
  const sql = await createPgClient({ url: schema.url, max: 4 });
  return {
    sql,
    async dispose() {
      await sql.close();
      await schema.dispose();
    },
  };
}

describe.skipIf(databaseUrl === undefined)("pg client on a server", () => {
  describeSqlClientContract("pg", makePgFixture);

  it("lets migration runs of separate processes take turns", async () => {
    const schema = await makePgSchema(databaseUrl as string);
    const dir = await makeTempDir("wedsync-migrations");
    const clients = await Promise.all([1, 2, 3].map(() => createPgClient({ url: schema.url, max: 2 })));
    try {
      for (let version = 1; version <= 5; version += 1) {
        await fs.writeFile(
          path.join(dir.path, `00${version}_step.sql`),
          `CREATE TABLE step_${version} (id int); INSERT INTO step_${version} SELECT ${version} FROM pg_sleep(0.02);`,
        );
      }
      const runs = await Promise.all(clients.map((sql) => migrateSql(sql, dir.path)));
      expect(runs.flat().sort()).toEqual([1, 2, 3, 4, 5]);
      expect(await clients[0]?.query("SELECT count(*) AS n FROM schema_migrations")).toEqual([{ n: 5 }]);
    } finally {
      await Promise.all(clients.map((sql) => sql.close()));
      await dir.cleanup();
      await schema.dispose();
    }
  });
});

describe("pg client without a server", () => {
  it("rejects with a retriable InfrastructureError when nothing listens", async () => {
    const failure = await createPgClient({ url: "postgres://postgres@127.0.0.1:1/none" }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect(failure).toMatchObject({ code: "infrastructure_error", retriable: true });
  });
});
