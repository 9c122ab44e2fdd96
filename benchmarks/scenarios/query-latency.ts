import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClickHouse } from "../../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../../platform/clickhouse/migrate.ts";
import { createSqlClient } from "../../platform/sql/create-sql-client.ts";
import {
  queryRevenue,
  REVENUE_GROUPS,
  REVENUE_INTERVALS,
  type RevenueQuery,
  type RevenueRow,
} from "../../query-api/revenue-query.ts";
import { ORG_PRESETS } from "../org-profiles.ts";
import { createPostgresEvents, loadPostgresEvents } from "./query-postgres-events.ts";
import { queryPostgresRevenue } from "./query-postgres-revenue.ts";
import { percentile, type Figure, type ScenarioOptions, type ScenarioResult } from "./scenario.ts";
import { parseScenarioArgs } from "./sink-cli-args.ts";
import { generateEventRows } from "./sink-event-rows.ts";
import { loadGeneratedIntoClickHouse } from "./load-clickhouse.ts";

const FROM = "2023-01-01";
const TO = "2025-12-31";

/** Runs fn once to warm up, then `times` times; resolves with each run's milliseconds. */
async function measure(times: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  return ms;
}

/** Rows in one canonical order, so two stores' answers compare as text. */
function canonical(rows: RevenueRow[]): string {
  const key = (row: RevenueRow) => `${row.bucket}\u0000${row.group ?? ""}\u0000${row.currency}`;
  return JSON.stringify([...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)));
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Query latency of the revenue question (GET /v1/analytics/revenue) for the biggest of three organisations,
 * on chDB through queryRevenue and on Postgres (the baseline: DATABASE_URL when set, else PGlite) through the same
 * question in SQL. Both stores hold the same generated wide rows; every question's answers must match before any
 * is timed. Postgres gets its own schema, dropped afterwards, so a real server is left as found.
 */
export async function run(options: ScenarioOptions & { events?: number }): Promise<ScenarioResult> {
  const target = options.events ?? (options.quick ? 20_000 : 1_000_000);
  const repetitions = options.quick ? 5 : 20;
  options.log(`query-latency: generating ${target} events`);
  const generated = generateEventRows(
    {
      seed: 11,
      organisations: [ORG_PRESETS.chain, ORG_PRESETS.venueGroup, ORG_PRESETS.soloFlorist],
      from: FROM,
      to: TO,
    },
    target,
  );
  const { rows, rowsByOrg } = generated;
  const [orgId, orgRows] = [...rowsByOrg].reduce((a, b) => (b[1] > a[1] ? b : a));

  const databaseUrl = process.env.DATABASE_URL;
  const ch = createClickHouse({ url: undefined, dataDir: path.join(options.workDir, "query-latency") });
  const sql = await createSqlClient({ databaseUrl, dataDir: path.join(options.workDir, "query-latency") });
  const schema = `bench_query_latency_${process.pid}_${Date.now()}`;
  const table = `${schema}.events`;
  try {
    await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
    let start = performance.now();
    await loadGeneratedIntoClickHouse(ch, generated);
    const chLoadSeconds = (performance.now() - start) / 1000;
    options.log(`query-latency: chDB loaded in ${chLoadSeconds.toFixed(1)} s`);

    await sql.exec(`CREATE SCHEMA ${schema}`);
    await createPostgresEvents(sql, table);
    start = performance.now();
    await loadPostgresEvents(sql, table, rows);
    const pgLoadSeconds = (performance.now() - start) / 1000;
    options.log(`query-latency: Postgres loaded in ${pgLoadSeconds.toFixed(1)} s`);

    const questions: RevenueQuery[] = REVENUE_INTERVALS.flatMap((interval) =>
      REVENUE_GROUPS.map((groupBy) => ({ orgId, from: FROM, to: TO, interval, groupBy })),
    );
    for (const q of questions) {
      const [fromCh, fromPg] = [await queryRevenue(ch, q), await queryPostgresRevenue(sql, table, q)];
      if (fromCh.length === 0) throw new Error(`no revenue rows for ${q.interval}/${q.groupBy}: nothing to compare`);
      if (canonical(fromCh) !== canonical(fromPg)) {
        const counts = `${fromCh.length} vs ${fromPg.length} rows`;
        throw new Error(`ClickHouse and Postgres disagree on ${q.interval}/${q.groupBy} (${counts})`);
      }
    }
    options.log(`query-latency: ${questions.length} questions agree; timing ${repetitions} runs each`);

    const figures: Figure[] = [];
    const speedups: number[] = [];
    for (const q of questions) {
      const name = `${q.interval}_${q.groupBy}`;
      const chMs = await measure(repetitions, () => queryRevenue(ch, q));
      const pgMs = await measure(repetitions, () => queryPostgresRevenue(sql, table, q));
      const chP95 = percentile(chMs, 95);
      const pgP95 = percentile(pgMs, 95);
      speedups.push(percentile(pgMs, 50) / percentile(chMs, 50));
      figures.push(
        { name: `clickhouse_${name}_p50_ms`, value: round(percentile(chMs, 50)), unit: "ms" },
        {
          name: `clickhouse_${name}_p95_ms`,
          value: round(chP95),
          unit: "ms",
          baseline: { name: `postgres_${name}_p95_ms`, value: round(pgP95) },
          ratio: Math.round((pgP95 / chP95) * 100) / 100,
        },
        { name: `clickhouse_${name}_p99_ms`, value: round(percentile(chMs, 99)), unit: "ms" },
        { name: `postgres_${name}_p95_ms`, value: round(pgP95), unit: "ms" },
      );
    }
    const geomean = Math.exp(speedups.reduce((sum, s) => sum + Math.log(s), 0) / speedups.length);
    figures.push({ name: "speedup_geomean", value: Math.round(geomean * 100) / 100, unit: "×" });

    return {
      scenario: "queries",
      setup: {
        events: rows.length,
        ...Object.fromEntries([...rowsByOrg].map(([org, count]) => [`events_${org}`, count])),
        queried_org: orgId,
        queried_org_events: orgRows,
        period: `${FROM}..${TO}`,
        repetitions,
        rows: "toEventRow, payments enriched from a booking Map",
        clickhouse: "chDB (embedded)",
        postgres: databaseUrl === undefined ? "PGlite (embedded)" : "Postgres (DATABASE_URL)",
        clickhouse_load_s: Math.round(chLoadSeconds * 10) / 10,
        postgres_load_s: Math.round(pgLoadSeconds * 10) / 10,
      },
      figures,
    };
  } finally {
    await sql.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await sql.close();
    await ch.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseScenarioArgs(process.argv.slice(2));
  const events = args.events ?? (process.env.BENCH_EVENTS === undefined ? undefined : Number(process.env.BENCH_EVENTS));
  const result = await run({
    quick: args.quick,
    workDir: args.workDir,
    log: (line) => console.error(line),
    ...(events === undefined ? {} : { events }),
  });
  console.log(JSON.stringify(result));
}
