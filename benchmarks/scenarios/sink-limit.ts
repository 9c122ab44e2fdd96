import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ClickHouseClient } from "@clickhouse/client";
import { createClickHouse } from "../../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../../platform/clickhouse/migrate.ts";
import { EVENT_COLUMNS } from "../../processors/clickhouse-rows.ts";
import { ORG_PRESETS } from "../../generator/org-profiles.ts";
import type { ScenarioOptions, ScenarioResult } from "./scenario.ts";
import { parseScenarioArgs } from "./sink-cli-args.ts";
import { generateEventRows } from "./sink-event-rows.ts";

const BATCH_ROWS = 5000;
const COLUMNS = EVENT_COLUMNS as unknown as [string, ...string[]];

/** Inserts rows in batches of BATCH_ROWS, one after another; resolves with the rows per second. */
async function timeInserts(
  ch: ClickHouseClient,
  table: string,
  values: unknown[],
  format: "JSONCompactEachRow" | "JSONEachRow",
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < values.length; i += BATCH_ROWS) {
    const batch = values.slice(i, i + BATCH_ROWS);
    await (format === "JSONCompactEachRow"
      ? ch.insert({ table, values: batch, columns: COLUMNS, format })
      : ch.insert({ table, values: batch, format }));
  }
  const seconds = (performance.now() - start) / 1000;
  const result = await ch.query({ query: `SELECT count() AS n FROM ${table}`, format: "JSONEachRow" });
  const stored = Number((await result.json<{ n: number | string }>())[0]?.n);
  // Identical blocks would be dropped by insert deduplication and inflate the rate: every row must have landed.
  if (stored !== values.length) throw new Error(`${table} holds ${stored} rows, not ${values.length}`);
  return values.length / seconds;
}

/**
 * The limit: how fast chDB takes the processors' wide event rows with nothing else in the way, in batches of 5000,
 * as JSONCompactEachRow (what the processors write) and as JSONEachRow. Rows are built before the clock starts.
 * Each format writes its own fresh table of the migrated schema, so no insert is deduplicated against the other's.
 */
export async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  const target = options.quick ? 50_000 : 1_000_000;
  options.log(`sink-limit: generating ${target} events`);
  const { rows } = generateEventRows(
    { seed: 7, organisations: [ORG_PRESETS.chain], from: "2023-01-01", to: "2025-12-31" },
    target,
  );
  const objects = rows.map((row) => Object.fromEntries(EVENT_COLUMNS.map((column, i) => [column, row[i]])));

  const ch = createClickHouse({ url: undefined, dataDir: path.join(options.workDir, "sink-limit") });
  try {
    await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
    await ch.command({ query: "CREATE TABLE IF NOT EXISTS events_each_row AS events" });
    options.log(`sink-limit: inserting ${rows.length} rows as JSONCompactEachRow`);
    const compact = await timeInserts(ch, "events", rows, "JSONCompactEachRow");
    options.log(`sink-limit: inserting ${rows.length} rows as JSONEachRow`);
    const eachRow = await timeInserts(ch, "events_each_row", objects, "JSONEachRow");
    return {
      scenario: "limit",
      setup: { events: rows.length, batch_rows: BATCH_ROWS, store: "chDB (embedded)", organisations: "chain" },
      figures: [
        { name: "rows_per_second_json_compact", value: Math.round(compact), unit: "rows/s" },
        { name: "rows_per_second_json_each_row", value: Math.round(eachRow), unit: "rows/s" },
      ],
    };
  } finally {
    await ch.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseScenarioArgs(process.argv.slice(2));
  const result = await run({ quick: args.quick, workDir: args.workDir, log: (line) => console.error(line) });
  console.log(JSON.stringify(result));
}
