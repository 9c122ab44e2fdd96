import type { ClickHouseClient } from "@clickhouse/client";
import { EVENT_COLUMNS } from "../../processors/clickhouse-rows.ts";
import type { GeneratedEventRows } from "./sink-event-rows.ts";

const INSERT_ROWS = 50_000;

/**
 * Writes generated rows into the product's ClickHouse tables (migrated beforehand), in inserts of 50,000 rows: what
 * the processors would have written for the same events, so the product's queries can be asked of them.
 */
export async function loadGeneratedIntoClickHouse(ch: ClickHouseClient, generated: GeneratedEventRows): Promise<void> {
  const { rows } = generated;
  for (let i = 0; i < rows.length; i += INSERT_ROWS) {
    await ch.insert({
      table: "events",
      values: rows.slice(i, i + INSERT_ROWS),
      columns: EVENT_COLUMNS as unknown as [string, ...string[]],
      format: "JSONCompactEachRow",
    });
  }
}
