import pg from "pg";
import { InfrastructureError, WedSyncError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Row, SqlClient, SqlQueryable } from "./sql-client.ts";
import { PG_OID, parseDate, parseInt8, parseNumeric } from "./type-parsers.ts";

/** Where the Postgres server is and how many connections to keep. */
export interface PgClientOptions {
  /** postgres:// connection string; `?options=-c search_path=…` and the like are honoured. */
  url: string;
  /** Largest number of pooled connections. Default 10. */
  max?: number;
  /** Receives failures of idle pooled connections, which have no caller to throw to. */
  logger?: Logger;
}

type TypeParser = (text: string) => unknown;

/** pg's own parser of a type; its typings only admit the OIDs of scalar built-ins. */
const builtinParser = pg.types.getTypeParser as (oid: number, format?: "text" | "binary") => TypeParser;

const mapArray = (parse: TypeParser) => {
  const parseTextArray = builtinParser(PG_OID.textArray);
  const map = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(map) : value === null ? null : parse(value as string);
  return (text: string) => map(parseTextArray(text));
};

// Aligns pg's results with PGlite's (see type-parsers.ts). Set on this pool only, never via pg.types.setTypeParser,
// which would change every pg user in the process.
const TEXT_PARSERS: Record<number, TypeParser> = {
  [PG_OID.int8]: parseInt8,
  [PG_OID.numeric]: parseNumeric,
  [PG_OID.date]: parseDate,
  [PG_OID.interval]: (text) => text,
  [PG_OID.int8Array]: mapArray(parseInt8),
  [PG_OID.numericArray]: mapArray(parseNumeric),
  [PG_OID.dateArray]: mapArray(parseDate),
};

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    (format === undefined || format === "text" ? TEXT_PARSERS[oid] : undefined) ??
    builtinParser(oid, format)) as typeof pg.types.getTypeParser,
};

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  // SQLSTATE: the server is going away, starting, or out of connections.
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

const CONNECTION_ERROR_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection error/i;

/** True when error means the server could not be reached or the connection broke, not that the SQL was wrong. */
function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_ERROR_CODES.has(code) || code.startsWith("08"))) return true;
  return CONNECTION_ERROR_MESSAGES.test(error.message);
}

/**
 * Connection failures become a retriable InfrastructureError; anything else (a constraint, a syntax error: pg's
 * DatabaseError with its SQLSTATE `code`) is the caller's to handle and passes through unchanged.
 */
function classify(error: unknown): unknown {
  return isConnectionFailure(error)
    ? new InfrastructureError(`postgres unavailable: ${(error as Error).message}`, { cause: error })
    : error;
}

/** Runs fn, translating what it throws with classify. */
async function classified<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw classify(error);
  }
}

/** Connects a pg pool to url and returns it as a SqlClient; rejects with InfrastructureError if the server is down. */
export async function createPgClient({ url, max = 10, logger }: PgClientOptions): Promise<SqlClient> {
  const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 10_000 });
  // An idle client's socket can fail with no query to reject; without a listener the pool would crash the process.
  pool.on("error", (error) =>
    logger?.warn({ event: "sql.idle_connection_failed", err: error }, "postgres idle connection failed"),
  );
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw classify(error);
  }

  return {
    query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]> {
      return classified(async () => (await pool.query<T>(sql, params)).rows);
    },
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const client = await classified(() => pool.connect());
      let open = true;
      const tx: SqlQueryable = {
        query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<R[]> {
          if (!open) {
            return Promise.reject(new WedSyncError("sql_transaction_closed", "the transaction has already ended"));
          }
          return classified(async () => (await client.query<R>(sql, params)).rows);
        },
      };
      let broken: unknown;
      try {
        await classified(() => client.query("BEGIN"));
        const result = await fn(tx);
        await classified(() => client.query("COMMIT"));
        return result;
      } catch (error) {
        // A failed ROLLBACK means the connection is unusable: it is destroyed rather than returned to the pool.
        await client.query("ROLLBACK").catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        open = false;
        client.release(broken !== undefined);
      }
    },
    async exec(sql: string): Promise<void> {
      const client = await classified(() => pool.connect());
      let broken: unknown;
      try {
        // No parameters, so pg uses the simple protocol, which runs every statement of the script.
        await classified(() => client.query(sql));
      } catch (error) {
        // A script that opened a transaction and failed in it would leave the pooled connection aborted.
        await client.query("ROLLBACK").catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken !== undefined);
      }
    },
    async close(): Promise<void> {
      if (!pool.ended) await pool.end();
    },
  };
}
