import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ClickHouseClient } from "@clickhouse/client";
import { WedSyncError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { readMigrationFiles } from "../sql/migration-files.ts";
import { splitSqlScript } from "../sql/split-sql-script.ts";

/** The product's ClickHouse migrations (schemas/sql/clickhouse), as an absolute path. */
export const CLICKHOUSE_MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../schemas/sql/clickhouse",
);

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version     UInt32,
  name        String,
  applied_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY version`;

/**
 * Applies the `NNN_name.sql` files of dir that are not yet recorded in `schema_migrations`, in version order,
 * statement by statement; resolves with the versions it applied (none on a rerun). ClickHouse has no transactions,
 * so a file that fails half-way runs again from its start next time: every statement must be idempotent
 * (`CREATE … IF NOT EXISTS`, `ADD COLUMN IF NOT EXISTS`). That also makes two starters racing harmless.
 */
export async function migrateClickHouse(client: ClickHouseClient, dir: string, logger?: Logger): Promise<number[]> {
  await client.command({ query: CREATE_MIGRATIONS_TABLE });
  const recorded = await (
    await client.query({ query: "SELECT DISTINCT version FROM schema_migrations", format: "JSONEachRow" })
  ).json<{ version: number | string }>();
  const done = new Set(recorded.map((row) => Number(row.version)));

  const applied: number[] = [];
  for (const file of await readMigrationFiles(dir)) {
    if (done.has(file.version)) continue;
    for (const [index, statement] of splitSqlScript(file.sql, "clickhouse").entries()) {
      try {
        await client.command({ query: statement });
      } catch (error) {
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
    await client.insert({
      table: "schema_migrations",
      values: [{ version: file.version, name: file.name }],
      format: "JSONEachRow",
    });
    applied.push(file.version);
    logger?.info(
      { event: "clickhouse.migration_applied", version: file.version, name: file.name },
      "migration applied",
    );
  }
  return applied;
}
