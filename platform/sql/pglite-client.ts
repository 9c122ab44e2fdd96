import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { InfrastructureError, WedSyncError } from "../errors.ts";
import type { Row, SqlClient, SqlQueryable } from "./sql-client.ts";
import { PG_OID, parseInt8, parseNumeric } from "./type-parsers.ts";

/** Where the embedded Postgres keeps its files. */
export interface PgliteClientOptions {
  /** Data directory; created (initdb, ~4 s) when empty. */
  dataDir: string;
}

/**
 * Because PGlite is one connection, a call on the client (not on the transaction's handle) made from inside a
 * transaction callback would wait for that transaction, which waits for the callback: a silent deadlock. pg would run
 * it on another connection instead. The guard refuses it loudly rather than hang: run each callback in
 * `insideTransaction`, and call `refuseInsideTransaction` first in every method of the client.
 */
export function createTransactionGuard() {
  const insideTransaction = new AsyncLocalStorage<true>();
  const refuseInsideTransaction = (what: string) => {
    if (insideTransaction.getStore() === true) {
      throw new WedSyncError(
        "sql_client_used_in_transaction",
        `${what} on the client inside a transaction callback would deadlock on PGlite; use the transaction's handle`,
      );
    }
  };
  return { insideTransaction, refuseInsideTransaction };
}

/**
 * Opens PGlite at dataDir as a SqlClient. PGlite is one connection: it queues every call, and a call made outside a
 * transaction waits until the open transaction ends, so it never runs inside it.
 */
export async function createPgliteClient({ dataDir }: PgliteClientOptions): Promise<SqlClient> {
  let db: PGlite;
  try {
    await fs.mkdir(dataDir, { recursive: true });
    db = await PGlite.create({
      dataDir,
      parsers: { [PG_OID.int8]: parseInt8, [PG_OID.numeric]: parseNumeric },
    });
  } catch (error) {
    throw new InfrastructureError(`could not open PGlite at ${dataDir}`, { cause: error, retriable: false });
  }

  const { insideTransaction, refuseInsideTransaction } = createTransactionGuard();

  return {
    async query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
      refuseInsideTransaction("query");
      return (await db.query<T>(sql, params)).rows;
    },
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      refuseInsideTransaction("transaction");
      return db.transaction((tx) =>
        insideTransaction.run(true, () =>
          fn({
            async query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<R[]> {
              return (await tx.query<R>(sql, params)).rows;
            },
          }),
        ),
      );
    },
    async exec(sql: string): Promise<void> {
      refuseInsideTransaction("exec");
      await db.exec(sql);
    },
    async close(): Promise<void> {
      if (!db.closed) await db.close();
    },
  };
}
