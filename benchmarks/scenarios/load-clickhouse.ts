import type { ClickHouseClient } from "@clickhouse/client";
import { EVENT_COLUMNS } from "../../processors/clickhouse-rows.ts";
import { REVENUE_COLUMNS } from "../../processors/revenue-totals.ts";
import type { GeneratedEventRows } from "./sink-event-rows.ts";

const INSERT_ROWS = 50_000;

/**
 * Writes generated rows into the product's ClickHouse tables (migrated beforehand), in inserts of 50,000 rows: what
 * the processors would have written for the same events (the wide events and the revenue rollup), so the product's
 * queries can be asked of them.
 */
export async function loadGeneratedIntoClickHouse(ch: ClickHouseClient, generated: GeneratedEventRows): Promise<void> {
  const tables: [string, readonly string[], unknown[][]][] = [
    ["events", EVENT_COLUMNS, generated.rows],
    ["revenue_daily", REVENUE_COLUMNS, generated.revenueRows],
  ];
  for (const [table, columns, rows] of tables) {
    for (let i = 0; i < rows.length; i += INSERT_ROWS) {
      await ch.insert({
        table,
        values: rows.slice(i, i + INSERT_ROWS),
        columns: columns as [string, ...string[]],
        format: "JSONCompactEachRow",
      });
    }
  }
}
