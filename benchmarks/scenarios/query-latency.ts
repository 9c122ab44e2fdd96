import path from "node:path";
import { fileURLToPath } from "node:url";
import { createApp } from "../../bin/create-app.ts";
import { loadConfig } from "../../platform/config.ts";
import { createLogger } from "../../platform/logger.ts";
import { createSqlClient } from "../../platform/sql/create-sql-client.ts";
import type { SqlClient } from "../../platform/sql/sql-client.ts";
import { createOrganisation } from "../../platform/tenants/organisations.ts";
import {
  queryRevenue,
  queryRevenueJson,
  REVENUE_GROUPS,
  REVENUE_INTERVALS,
  type RevenueQuery,
  type RevenueRow,
} from "../../query-api/revenue-query.ts";
import { ORG_PRESETS } from "../org-profiles.ts";
import { insertEventRows, insertRevenueRows } from "./load-clickhouse.ts";
import { createPostgresEvents, loadPostgresEvents } from "./query-postgres-events.ts";
import { queryPostgresRevenue } from "./query-postgres-revenue.ts";
import { percentile, type Figure, type ScenarioOptions, type ScenarioResult } from "./scenario.ts";
import { parseScenarioArgs } from "./sink-cli-args.ts";
import { eventRowChunks, type GeneratedEventRows } from "./sink-event-rows.ts";

const FROM = "2023-01-01";
const TO = "2025-12-31";
const ORGANISATIONS = [ORG_PRESETS.chain, ORG_PRESETS.venueGroup, ORG_PRESETS.soloFlorist];
/** Above this many events PGlite takes too long to load for a baseline; a real server (DATABASE_URL) is needed. */
const PGLITE_BASELINE_MAX_EVENTS = 2_000_000;

/** Runs fn `times` times; resolves with each run's milliseconds. */
async function time(times: number, fn: () => Promise<unknown>): Promise<number[]> {
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
const label = (events: number) => (events >= 1_000_000 ? `${events / 1_000_000}M` : `${events / 1000}k`);

/**
 * Latency of the revenue endpoint (GET /v1/analytics/revenue) for the biggest of three organisations, in the nine
 * shapes it can be asked (interval × groupBy):
 * - cold: the first run of each question after loading;
 * - uncached: what the endpoint computes on a cache miss (queryRevenueJson over the revenue rollup: the answer as the
 *   JSON text it sends), repeated;
 * - cached: the whole endpoint through the app's HTTP stack (auth, watermark, answer cache) answered from the cache,
 *   until its body is read (not parsed), repeated ten times as often: it is cheap, and a p95 of 20 runs is their
 *   second-worst, one stray pause;
 * - baseline: the same question over the raw events in Postgres with indexes (what the seeds built): DATABASE_URL when
 *   set, else PGlite (skipped above PGLITE_BASELINE_MAX_EVENTS, which would take PGlite most of an hour to load).
 * The app runs on embedded defaults in the work dir with the ingest and processing roles off; the rows are generated
 * in chunks (so 10M events fit in memory) with the product's row and rollup builders, and loaded into both stores.
 * Every question's answers must be identical across ClickHouse, the endpoint and Postgres before any is timed.
 */
export async function run(options: ScenarioOptions & { events?: number }): Promise<ScenarioResult> {
  const target = options.events ?? (options.quick ? 20_000 : 1_000_000);
  const repetitions = options.quick ? 5 : 50;
  const cachedRepetitions = repetitions * 10;
  const databaseUrl = process.env.DATABASE_URL;
  const baseline = databaseUrl !== undefined || target <= PGLITE_BASELINE_MAX_EVENTS;
  // Postgres takes seconds a question: 20 runs at most, 5 above the PGlite limit.
  const baselineRepetitions = target > PGLITE_BASELINE_MAX_EVENTS ? 5 : Math.min(repetitions, 20);

  // The cached runs ask hundreds of questions a second in a loop: the organisations are on a tier with a quota they
  // cannot reach, so the limiter is timed in the path but never refuses.
  const config = loadConfig({ DATA_DIR: path.join(options.workDir, "app"), LOG_LEVEL: "warn", RATE_LIMITS: "enterprise=1000000/s" });
  const app = await createApp(config, createLogger(config.logLevel, { toStderr: true }), ["api"]);
  let pg: SqlClient | undefined;
  const schema = `bench_query_latency_${process.pid}_${Date.now()}`;
  const table = `${schema}.events`;
  try {
    const keys = new Map<string, { orgId: string; apiKey: string }>();
    for (const org of ORGANISATIONS) keys.set(org.key, await createOrganisation(app.sql, org.name, { tier: "enterprise" }));
    if (baseline) {
      pg = databaseUrl === undefined ? app.sql : await createSqlClient({ databaseUrl, dataDir: options.workDir });
      await pg.exec(`CREATE SCHEMA ${schema}`);
      await createPostgresEvents(pg, table);
    }

    options.log(`query-latency: generating and loading ${target} events${baseline ? "" : " (no Postgres baseline)"}`);
    const summary: Omit<GeneratedEventRows, "rows"> = { revenueRows: [], rowsByOrg: new Map() };
    const loadSeconds = { clickhouse: 0, postgres: 0 };
    const generation = { from: FROM, to: TO, seed: 11, organisations: ORGANISATIONS };
    for (const chunk of eventRowChunks(generation, target, { orgIdOf: (key) => keys.get(key)!.orgId }, summary)) {
      let start = performance.now();
      await insertEventRows(app.ch, chunk);
      loadSeconds.clickhouse += (performance.now() - start) / 1000;
      if (pg !== undefined) {
        start = performance.now();
        await loadPostgresEvents(pg, table, chunk, { analyze: false });
        loadSeconds.postgres += (performance.now() - start) / 1000;
      }
    }
    const start = performance.now();
    await insertRevenueRows(app.ch, summary.revenueRows);
    loadSeconds.clickhouse += (performance.now() - start) / 1000;
    if (pg !== undefined) await pg.exec(`ANALYZE ${table}`);
    options.log(`query-latency: loaded (ClickHouse ${loadSeconds.clickhouse.toFixed(1)} s, Postgres ${loadSeconds.postgres.toFixed(1)} s)`);

    const [orgId, orgRows] = [...summary.rowsByOrg].reduce((a, b) => (b[1] > a[1] ? b : a));
    const apiKey = [...keys.values()].find((k) => k.orgId === orgId)!.apiKey;
    const questions: RevenueQuery[] = REVENUE_INTERVALS.flatMap((interval) =>
      REVENUE_GROUPS.map((groupBy) => ({ orgId, from: FROM, to: TO, interval, groupBy })),
    );
    /** One request to the endpoint, read to the end of its body. */
    const endpoint = async (q: RevenueQuery) => {
      const params = new URLSearchParams({ from: q.from, to: q.to, interval: q.interval, groupBy: q.groupBy });
      const res = await app.http.request(`/v1/analytics/revenue?${params}`, { headers: { authorization: `Bearer ${apiKey}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`revenue endpoint answered ${res.status}: ${body}`);
      return { cache: res.headers.get("x-cache"), body };
    };

    const figures: Figure[] = [];
    const cold: number[] = [];
    for (const q of questions) {
      const began = performance.now();
      const fromCh = await queryRevenue(app.ch, q);
      cold.push(performance.now() - began);
      if (fromCh.length === 0) throw new Error(`no revenue rows for ${q.interval}/${q.groupBy}: nothing to compare`);
      const { data } = JSON.parse((await endpoint(q)).body) as { data: RevenueRow[] };
      const answers: [store: string, rows: RevenueRow[]][] = [["endpoint", data]];
      if (pg !== undefined) answers.push(["Postgres", await queryPostgresRevenue(pg, table, q)]);
      for (const [store, rows] of answers) {
        if (canonical(fromCh) !== canonical(rows)) {
          throw new Error(`ClickHouse and ${store} disagree on ${q.interval}/${q.groupBy} (${fromCh.length} vs ${rows.length} rows)`);
        }
      }
    }
    options.log(`query-latency: ${questions.length} questions agree; timing ${repetitions} runs each`);

    const speedups: number[] = [];
    const uncachedP95: number[] = [];
    const cachedP95: number[] = [];
    for (const q of questions) {
      const name = `${q.interval}_${q.groupBy}`;
      const chMs = await time(repetitions, () => queryRevenueJson(app.ch, q));
      const cachedMs = await time(cachedRepetitions, async () => {
        if ((await endpoint(q)).cache !== "hit") throw new Error(`revenue ${name} was not answered from the cache`);
      });
      const chP95 = percentile(chMs, 95);
      uncachedP95.push(chP95);
      cachedP95.push(percentile(cachedMs, 95));
      figures.push(
        { name: `uncached_${name}_p50_ms`, value: round(percentile(chMs, 50)), unit: "ms" },
        { name: `uncached_${name}_p99_ms`, value: round(percentile(chMs, 99)), unit: "ms" },
        { name: `cached_${name}_p50_ms`, value: round(percentile(cachedMs, 50)), unit: "ms" },
        { name: `cached_${name}_p95_ms`, value: round(percentile(cachedMs, 95)), unit: "ms" },
      );
      if (pg === undefined) {
        figures.push({ name: `uncached_${name}_p95_ms`, value: round(chP95), unit: "ms" });
        continue;
      }
      const pgMs = await time(baselineRepetitions, () => queryPostgresRevenue(pg!, table, q));
      const pgP95 = percentile(pgMs, 95);
      speedups.push(percentile(pgMs, 50) / percentile(chMs, 50));
      figures.push(
        {
          name: `uncached_${name}_p95_ms`,
          value: round(chP95),
          unit: "ms",
          baseline: { name: `postgres_${name}_p95_ms`, value: round(pgP95) },
          ratio: Math.round((pgP95 / chP95) * 100) / 100,
        },
        { name: `postgres_${name}_p95_ms`, value: round(pgP95), unit: "ms" },
      );
    }
    figures.push(
      { name: "cold_first_run_max_ms", value: round(Math.max(...cold)), unit: "ms" },
      { name: "uncached_p95_worst_ms", value: round(Math.max(...uncachedP95)), unit: "ms" },
      { name: "cached_p95_worst_ms", value: round(Math.max(...cachedP95)), unit: "ms" },
    );
    if (speedups.length > 0) {
      const geomean = Math.exp(speedups.reduce((sum, s) => sum + Math.log(s), 0) / speedups.length);
      figures.push({ name: "speedup_over_postgres_geomean_p50", value: Math.round(geomean * 100) / 100, unit: "×" });
    }

    return {
      scenario: `queries-${label(target)}`,
      setup: {
        events: target,
        ...Object.fromEntries([...keys].map(([key, { orgId: id }]) => [`events_${key}`, summary.rowsByOrg.get(id) ?? 0])),
        queried_org_events: orgRows,
        period: `${FROM}..${TO}`,
        repetitions,
        cached_repetitions: cachedRepetitions,
        revenue_daily_rows: summary.revenueRows.length,
        clickhouse: "chDB (embedded), revenue rollup",
        cache: "in-process (lru-cache)",
        postgres: !baseline ? "skipped (set DATABASE_URL)" : databaseUrl === undefined ? "PGlite (embedded)" : "Postgres (DATABASE_URL)",
        postgres_repetitions: baseline ? baselineRepetitions : 0,
        clickhouse_load_s: Math.round(loadSeconds.clickhouse * 10) / 10,
        postgres_load_s: Math.round(loadSeconds.postgres * 10) / 10,
      },
      figures,
    };
  } finally {
    if (pg !== undefined) {
      await pg.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      if (pg !== app.sql) await pg.close();
    }
    await app.close();
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
