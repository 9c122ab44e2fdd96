import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createTestPglite } from "../../test/support/pglite-template.ts";
import { makeTempDir } from "../../test/support/temp-dir.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { describeSqlClientContract, type SqlClientFixture } from "./sql-client.contract.ts";

/** A fresh, empty PGlite database cloned from the template, in this thread or in a worker thread. */
async function makeEmptyPglite(inWorker: boolean): Promise<SqlClientFixture> {
  const dir = await makeTempDir("wedsync-pglite");
  const sql = await createTestPglite(dir.path, { migrationsDir: null, inWorker });
  return {
    sql,
    async dispose() {
      await sql.close();
      await dir.cleanup();
    },
  };
}

describeSqlClientContract("PGlite", () => makeEmptyPglite(false));
describeSqlClientContract("PGlite in a worker thread", () => makeEmptyPglite(true));

describe.each([
  { where: "in this thread", inWorker: false },
  { where: "in a worker thread", inWorker: true },
])("PGlite client $where", ({ inWorker }) => {
  const makeEmpty = () => makeEmptyPglite(inWorker);
  it("keeps a query issued while a transaction is open out of that transaction", async () => {
    const { sql, dispose } = await makeEmpty();
    try {
      await sql.exec("CREATE TABLE t (x int)");
      let insideStarted = false;
      let releaseTransaction!: () => void;
      const gate = new Promise<void>((resolve) => (releaseTransaction = resolve));
      const failure = new Error("roll back");

      const transaction = sql.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES (1)");
        insideStarted = true;
        await gate;
        const seen = await tx.query("SELECT x FROM t ORDER BY x");
        throw Object.assign(failure, { seen });
      });
      await waitFor(() => insideStarted, { message: "transaction did not start" });
      let outsideDone = false;
      const outside = sql.query("INSERT INTO t VALUES (2)").then(() => (outsideDone = true));

      // The outside insert must wait for the transaction: PGlite has one connection.
      await new Promise((resolve) => setImmediate(resolve));
      expect(outsideDone).toBe(false);
      releaseTransaction();

      await expect(transaction).rejects.toBe(failure);
      expect((failure as Error & { seen: unknown }).seen).toEqual([{ x: 1 }]);
      await outside;
      expect(await sql.query("SELECT x FROM t")).toEqual([{ x: 2 }]);
    } finally {
      await dispose();
    }
  });

  it("refuses a call on the client from inside a transaction instead of deadlocking", async () => {
    const { sql, dispose } = await makeEmpty();
    try {
      await expect(sql.transaction(() => sql.query("SELECT 1"))).rejects.toMatchObject({
        code: "sql_client_used_in_transaction",
      });
      expect(await sql.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await dispose();
    }
  });
});

describe("PGlite in a worker thread, in a process of its own", () => {
  it("keeps a process that does nothing else alive through its calls and its close", async () => {
    const dir = await makeTempDir("wedsync-pglite-exit");
    try {
      const fixture = fileURLToPath(new URL("./fixtures/open-query-close.ts", import.meta.url));
      const child = spawn(process.execPath, ["--import", "tsx", fixture, dir.path], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (chunk) => (out += chunk));
      child.stderr.on("data", (chunk) => (out += chunk));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect({ code, out }).toEqual({ code: 0, out: "answer 42, closed\n" });
    } finally {
      await dir.cleanup();
    }
  }, 60_000);
});
