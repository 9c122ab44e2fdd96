import type { SqlClient } from "../../platform/sql/sql-client.ts";
import { EVENT_COLUMNS } from "../../processors/clickhouse-rows.ts";

/** Postgres type of each `events` column, in EVENT_COLUMNS order. */
const PG_TYPES: Record<(typeof EVENT_COLUMNS)[number], string> = {
  org_id: "text",
  id: "text",
  type: "text",
  occurred_at: "timestamptz",
  received_at: "timestamptz",
  source: "text",
  wedding_id: "text",
  booking_id: "text",
  payment_id: "text",
  supplier_id: "text",
  service: "text",
  category: "text",
  region: "text",
  venue_id: "text",
  channel: "text",
  method: "text",
  kind: "text",
  wedding_date: "date",
  guest_count: "integer",
  amount: "bigint",
  currency: "text",
  data: "text",
  log_partition: "integer",
  log_offset: "bigint",
};

const INSERT_ROWS = 5000;

/** Creates `table` with the ClickHouse `events` columns and the indexes the revenue question needs. */
export async function createPostgresEvents(sql: SqlClient, table: string): Promise<void> {
  const columns = EVENT_COLUMNS.map((column) => `${column} ${PG_TYPES[column]}`).join(", ");
  await sql.exec(`CREATE TABLE ${table} (${columns});
    CREATE INDEX ON ${table} (org_id, type, occurred_at);
    CREATE INDEX ON ${table} (org_id, booking_id);`);
}

/**
 * Loads wide rows (EVENT_COLUMNS order, ClickHouse text for times) with multi-row INSERT … SELECT FROM unnest, one
 * array per column; the zone-less UTC times get an explicit Z so the session time zone plays no part. Analyzes after unless told not to
 * (when loading in chunks).
 */
export async function loadPostgresEvents(
  sql: SqlClient,
  table: string,
  rows: readonly unknown[][],
  { analyze = true }: { analyze?: boolean } = {},
): Promise<void> {
  const casts = EVENT_COLUMNS.map((column, i) => `$${i + 1}::${PG_TYPES[column]}[]`).join(", ");
  const statement = `INSERT INTO ${table} (${EVENT_COLUMNS.join(", ")}) SELECT * FROM unnest(${casts})`;
  const times = new Set([EVENT_COLUMNS.indexOf("occurred_at"), EVENT_COLUMNS.indexOf("received_at")]);
  for (let start = 0; start < rows.length; start += INSERT_ROWS) {
    const batch = rows.slice(start, start + INSERT_ROWS);
    const arrays = EVENT_COLUMNS.map((_, i) => batch.map((row) => (times.has(i) ? `${String(row[i])}Z` : row[i])));
    await sql.query(statement, arrays);
  }
  if (analyze) await sql.exec(`ANALYZE ${table}`);
}
