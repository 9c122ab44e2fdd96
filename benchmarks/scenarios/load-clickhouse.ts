import type { ClickHouseClient } from "@clickhouse/client";
import { EVENT_COLUMNS } from "../../processors/clickhouse-rows.ts";
import { REVENUE_COLUMNS } from "../../processors/revenue-totals.ts";
import type { GeneratedEventRows } from "./sink-event-rows.ts";

const INSERT_ROWS = 50_000;

/** Inserts rows in the given column order into a product table, 50,000 rows an insert. */
async function insertRows(
  ch: ClickHouseClient,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_ROWS) {
    await ch.insert({
      table,
      values: rows.slice(i, i + INSERT_ROWS),
      columns: columns as [string, ...string[]],
      format: "JSONCompactEachRow",
    });
  }
}

/** Inserts generated wide rows (EVENT_COLUMNS order) into `events`. */
export const insertEventRows = (ch: ClickHouseClient, rows: readonly unknown[][]) =>
  insertRows(ch, "events", EVENT_COLUMNS, rows);

/** Inserts generated rollup rows (REVENUE_COLUMNS order) into `revenue_daily`. */
export const insertRevenueRows = (ch: ClickHouseClient, rows: readonly unknown[][]) =>
  insertRows(ch, "revenue_daily", REVENUE_COLUMNS, rows);

/**
 * Writes generated rows into the product's ClickHouse tables (migrated beforehand): what the processors would have
 * written for the same events (the wide events and the revenue rollup), so the product's queries can be asked of them.
 */
export async function loadGeneratedIntoClickHouse(ch: ClickHouseClient, generated: GeneratedEventRows): Promise<void> {
  await insertEventRows(ch, generated.rows);
  await insertRevenueRows(ch, generated.revenueRows);
}
