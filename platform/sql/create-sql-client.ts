import path from "node:path";
import type { Logger } from "../logger.ts";
import { createPgClient } from "./pg-client.ts";
import { createPgliteWorkerClient } from "./pglite-worker-client.ts";
import type { SqlClient } from "./sql-client.ts";

/** What decides between Postgres and PGlite. */
export interface SqlClientOptions {
  /** Postgres URL; absent means embedded PGlite. */
  databaseUrl: string | undefined;
  /** The product's data directory; PGlite lives in its `postgres` folder. */
  dataDir: string;
  /** Receives pg's idle-connection failures. */
  logger?: Logger;
}

/**
 * The SQL store from configuration: pg when a database URL is given, otherwise PGlite at `<dataDir>/postgres`, in a
 * worker thread of its own (see pglite-worker-client.ts).
 */
export function createSqlClient({ databaseUrl, dataDir, logger }: SqlClientOptions): Promise<SqlClient> {
  return databaseUrl === undefined
    ? createPgliteWorkerClient({ dataDir: path.join(dataDir, "postgres") })
    : createPgClient({ url: databaseUrl, ...(logger === undefined ? {} : { logger }) });
}
