import path from "node:path";
import { fileURLToPath } from "node:url";
import { WedSyncError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { readMigrationFiles, type MigrationFile } from "./migration-files.ts";
import type { SqlClient, SqlQueryable } from "./sql-client.ts";
import { splitSqlScript } from "./split-sql-script.ts";

/** The product's Postgres migrations (schemas/sql/postgres), as an absolute path. */
export const POSTGRES_MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../schemas/sql/postgres",
);

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version     integer PRIMARY KEY,
  name        text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
)`;

// Transaction-scoped, so it is released by COMMIT or ROLLBACK whatever happens to this process. Keyed by schema so
// tests migrating separate schemas of one database do not queue behind each other. PGlite supports it too (it is a
// no-op there in effect: one connection, so nothing can contend).
const LOCK_MIGRATIONS = "SELECT pg_advisory_xact_lock(hashtext('wedsync.schema_migrations.' || current_schema()))";

/**
 * Applies the `NNN_name.sql` files of dir that the database has not yet seen, in version order, each in its own
 * transaction with its version recorded in `schema_migrations`; resolves with the versions it applied (none on a
 * rerun). Several processes may start it at once: an advisory lock makes them take turns, and each rechecks.
 */
export async function migrateSql(sql: SqlClient, dir: string, logger?: Logger): Promise<number[]> {
  const applied: number[] = [];
  for (const file of await readMigrationFiles(dir)) {
    if (await sql.transaction((tx) => applyOnce(tx, file))) {
      applied.push(file.version);
      logger?.info({ event: "sql.migration_applied", version: file.version, name: file.name }, "migration applied");
    }
  }
  return applied;
}

/** Applies file unless its version is recorded; true when it did. Runs inside the caller's transaction. */
async function applyOnce(tx: SqlQueryable, file: MigrationFile): Promise<boolean> {
  await tx.query(LOCK_MIGRATIONS);
  await tx.query(CREATE_MIGRATIONS_TABLE);
  const seen = await tx.query("SELECT 1 FROM schema_migrations WHERE version = $1", [file.version]);
  if (seen.length > 0) return false;
  // Statement by statement through the transaction's handle: a multi-statement script cannot be sent with the
  // extended protocol PGlite's query uses, and the whole file must share the transaction.
  for (const [index, statement] of splitSqlScript(file.sql, "postgres").entries()) {
    try {
      await tx.query(statement);
    } catch (error) {
      if (error instanceof WedSyncError) throw error;
      throw new WedSyncError(
        "migration_failed",
        `migration ${file.name} failed at statement ${index + 1}: ${String(error)}`,
        {
          cause: error,
          details: { version: file.version, file: file.name, statement: index + 1 },
        },
      );
    }
  }
  await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [file.version, file.name]);
  return true;
}
