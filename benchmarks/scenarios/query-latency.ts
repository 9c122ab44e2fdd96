import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
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
import type { GeneratedItem } from "../../generator/generated-item.ts";
import { ORG_PRESETS } from "../../generator/org-profiles.ts";
import {
  ANALYTICS_QUESTIONS,
  QUESTION_YEAR,
  questionFacts,
  type AnalyticsQuestion,
  type QuestionFacts,
} from "./analytics-questions.ts";
import { insertEventRows, insertRevenueRows } from "./load-clickhouse.ts";
import { createPostgresEvents, loadPostgresEvents } from "./query-postgres-events.ts";
import { queryPostgresRevenue } from "./query-postgres-revenue.ts";
import { createResettableCache } from "./resettable-cache.ts";
import { percentile, type Figure, type ScenarioOptions, type ScenarioResult } from "./scenario.ts";
import { parseScenarioArgs } from "./sink-cli-args.ts";
import { eventRowChunks, type GeneratedEventRows } from "./sink-event-rows.ts";

const FROM = "2023-01-01";
const TO = "2025-12-31";
const ORGANISATIONS = [ORG_PRESETS.chain, ORG_PRESETS.venueGroup, ORG_PRESETS.soloFlorist];
/** Above this many events PGlite takes too long to load for a baseline; a real server (DATABASE_URL) is needed. */
const PGLITE_BASELINE_MAX_EVENTS = 2_000_000;
/** Up to this many events the generated items are kept, so every analytics answer is checked against its reference. */
const FULL_CHECK_MAX_EVENTS = 100_000;

/** Runs fn `times` times, each after an untimed `before`; resolves with each run's milliseconds. */
async function time(times: number, fn: () => Promise<unknown>, before?: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    await before?.();
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
 *
 * Then the analytics questions (ANALYTICS_QUESTIONS: the aggregation engine and named endpoints, which read the raw
 * `events` table, not a rollup) for the same organisation over one year, each as one whole HTTP request to the app
 * (auth, rate limiter, validation, watermark, answer runner, ClickHouse, the streamed body read to its end, not parsed):
 * - cold: the first run of each after loading (a cache miss);
 * - uncached: the answer cache is emptied (untimed) before each run, so every run is the runner's miss path for the
 *   same question over the same data (X-Cache must say miss): the query, streaming and keeping the copy for the cache;
 * - cached: the same request again and again (X-Cache must say hit);
 * - rows and bytes of the JSON answer.
 * Before any is timed, each answer must equal its reference computed from the generated events in TypeScript (up to
 * FULL_CHECK_MAX_EVENTS, so at --quick size; above it the events are too many to keep, and only the total of bookings
 * is checked against the count of generated bookings). They have no Postgres baseline: Postgres holds the raw events
 * only, and writing each answer again as Postgres SQL would measure that SQL, not the product.
 */
export async function run(options: ScenarioOptions & { events?: number }): Promise<ScenarioResult> {
  const target = options.events ?? (options.quick ? 20_000 : 1_000_000);
  const repetitions = options.quick ? 5 : 50;
  const cachedRepetitions = repetitions * 10;
  const databaseUrl = process.env.DATABASE_URL;
  const baseline = databaseUrl !== undefined || target <= PGLITE_BASELINE_MAX_EVENTS;
  // Postgres takes seconds a question: 20 runs at most, 5 above the PGlite limit.
  const baselineRepetitions = target > PGLITE_BASELINE_MAX_EVENTS ? 5 : Math.min(repetitions, 20);
  // The analytics questions scan the raw events, not a rollup: 0.2–1.6 s a run (p50) at 1M events on the loaded 2-core
  // machine, so fewer runs than the rollup's, and 10 above 2M events (where p95, nearest-rank, is the worst run).
  const analyticsRepetitions = options.quick ? 5 : target > 2_000_000 ? 10 : 20;
  const analyticsCachedRepetitions = analyticsRepetitions * 10;

  // The cached runs ask hundreds of questions a second in a loop: the organisations are on a tier with a quota they
  // cannot reach, so the limiter is timed in the path but never refuses.
  const config = loadConfig({
    DATA_DIR: path.join(options.workDir, "app"),
    LOG_LEVEL: "warn",
    RATE_LIMITS: "enterprise=1000000/s",
  });
  // The app's in-process answer cache, which the analytics runs empty between uncached runs.
  const answerCache = await createResettableCache();
  const app = await createApp(config, createLogger(config.logLevel, { toStderr: true }), ["api"], { answerCache });
  let pg: SqlClient | undefined;
  const schema = `bench_query_latency_${process.pid}_${Date.now()}`;
  const table = `${schema}.events`;
  try {
    const keys = new Map<string, { orgId: string; apiKey: string }>();
    for (const org of ORGANISATIONS)
      keys.set(org.key, await createOrganisation(app.sql, org.name, { tier: "enterprise" }));
    if (baseline) {
      pg = databaseUrl === undefined ? app.sql : await createSqlClient({ databaseUrl, dataDir: options.workDir });
      await pg.exec(`CREATE SCHEMA ${schema}`);
      await createPostgresEvents(pg, table);
    }

    options.log(`query-latency: generating and loading ${target} events${baseline ? "" : " (no Postgres baseline)"}`);
    const summary: Omit<GeneratedEventRows, "rows"> = { revenueRows: [], rowsByOrg: new Map() };
    const loadSeconds = { clickhouse: 0, postgres: 0 };
    const generation = { from: FROM, to: TO, seed: 11, organisations: ORGANISATIONS };
    // What the analytics answers are checked against: every item while they are few, else bookings counted per org.
    const items: GeneratedItem[] | undefined = target <= FULL_CHECK_MAX_EVENTS ? [] : undefined;
    const bookingsInYear = new Map<string, number>();
    const onItem = (item: GeneratedItem) => {
      items?.push(item);
      const day =
        item.event.type === "booking.created" ? new Date(item.event.occurredAt).toISOString().slice(0, 10) : undefined;
      if (day !== undefined && day >= QUESTION_YEAR.from && day <= QUESTION_YEAR.to) {
        bookingsInYear.set(item.orgKey, (bookingsInYear.get(item.orgKey) ?? 0) + 1);
      }
    };
    for (const chunk of eventRowChunks(
      generation,
      target,
      { orgIdOf: (key) => keys.get(key)!.orgId, onItem },
      summary,
    )) {
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
    options.log(
      `query-latency: loaded (ClickHouse ${loadSeconds.clickhouse.toFixed(1)} s, Postgres ${loadSeconds.postgres.toFixed(1)} s)`,
    );

    const [orgId, orgRows] = [...summary.rowsByOrg].reduce((a, b) => (b[1] > a[1] ? b : a));
    const [orgKey, { apiKey }] = [...keys].find(([, k]) => k.orgId === orgId)!;
    const questions: RevenueQuery[] = REVENUE_INTERVALS.flatMap((interval) =>
      REVENUE_GROUPS.map((groupBy) => ({ orgId, from: FROM, to: TO, interval, groupBy })),
    );
    const auth = { authorization: `Bearer ${apiKey}` };
    /** One request to the endpoint, read to the end of its body. */
    const endpoint = async (q: RevenueQuery) => {
      const params = new URLSearchParams({ from: q.from, to: q.to, interval: q.interval, groupBy: q.groupBy });
      const res = await app.http.request(`/v1/analytics/revenue?${params}`, { headers: auth });
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
          throw new Error(
            `ClickHouse and ${store} disagree on ${q.interval}/${q.groupBy} (${fromCh.length} vs ${rows.length} rows)`,
          );
        }
      }
    }
    options.log(`query-latency: ${questions.length} questions agree`);

    const requests = new Map<AnalyticsQuestion, RequestInit>(
      ANALYTICS_QUESTIONS.map((q) => [
        q,
        q.body === undefined
          ? { headers: auth }
          : { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(q.body) },
      ]),
    );
    /** One analytics request, read to the end of its body. */
    const ask = async (q: AnalyticsQuestion) => {
      const res = await app.http.request(`/v1/analytics/${q.path}`, requests.get(q));
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${q.name} answered ${res.status}: ${body}`);
      return { cache: res.headers.get("x-cache"), body };
    };
    const facts: QuestionFacts | undefined = items === undefined ? undefined : questionFacts(items, orgKey);
    const analyticsCold: number[] = [];
    const answerSizes = new Map<AnalyticsQuestion, { rows: number; bytes: number }>();
    // Each is asked here for the first time, so it misses the cache: its first run after loading.
    for (const q of ANALYTICS_QUESTIONS) {
      const began = performance.now();
      const { cache, body } = await ask(q);
      analyticsCold.push(performance.now() - began);
      if (cache !== "miss") throw new Error(`${q.name} was answered from the cache the first time it was asked`);
      const { data } = JSON.parse(body) as { data: Record<string, unknown>[] };
      if (data.length === 0) throw new Error(`${q.name} has no rows: nothing to time`);
      if (facts !== undefined && !isDeepStrictEqual(data, q.expected(facts))) {
        throw new Error(
          `${q.name} disagrees with its reference: ${JSON.stringify(data).slice(0, 300)} vs ${JSON.stringify(q.expected(facts)).slice(0, 300)}`,
        );
      }
      if (q.name === "query_month_service") {
        const total = data.reduce((sum, row) => sum + Number(row.bookings), 0);
        if (total !== bookingsInYear.get(orgKey))
          throw new Error(`${q.name} counts ${total} bookings; ${bookingsInYear.get(orgKey)} were generated`);
      }
      answerSizes.set(q, { rows: data.length, bytes: Buffer.byteLength(body) });
    }
    options.log(
      facts === undefined
        ? `query-latency: ${ANALYTICS_QUESTIONS.length} analytics answers; their bookings total the generated count (too many events to keep references)`
        : `query-latency: ${ANALYTICS_QUESTIONS.length} analytics answers equal their references`,
    );

    options.log(
      `query-latency: timing ${repetitions} runs of each revenue question, ${analyticsRepetitions} of each analytics question`,
    );

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

    // The analytics questions: whole requests, uncached on an emptied answer cache, then cached (see the doc comment).
    const analyticsUncachedP95: number[] = [];
    const analyticsCachedP95: number[] = [];
    for (const q of ANALYTICS_QUESTIONS) {
      const uncachedMs = await time(
        analyticsRepetitions,
        async () => {
          if ((await ask(q)).cache !== "miss") throw new Error(`${q.name} was answered from an emptied cache`);
        },
        () => answerCache.reset(),
      );
      const cachedMs = await time(analyticsCachedRepetitions, async () => {
        if ((await ask(q)).cache !== "hit") throw new Error(`${q.name} was not answered from the cache`);
      });
      analyticsUncachedP95.push(percentile(uncachedMs, 95));
      analyticsCachedP95.push(percentile(cachedMs, 95));
      const size = answerSizes.get(q)!;
      figures.push(
        { name: `uncached_${q.name}_p50_ms`, value: round(percentile(uncachedMs, 50)), unit: "ms" },
        { name: `uncached_${q.name}_p95_ms`, value: round(percentile(uncachedMs, 95)), unit: "ms" },
        { name: `cached_${q.name}_p50_ms`, value: round(percentile(cachedMs, 50)), unit: "ms" },
        { name: `cached_${q.name}_p95_ms`, value: round(percentile(cachedMs, 95)), unit: "ms" },
        { name: `answer_${q.name}_rows`, value: size.rows, unit: "rows" },
        { name: `answer_${q.name}_bytes`, value: size.bytes, unit: "bytes" },
      );
    }
    figures.push(
      { name: "analytics_cold_first_run_max_ms", value: round(Math.max(...analyticsCold)), unit: "ms" },
      { name: "analytics_uncached_p95_worst_ms", value: round(Math.max(...analyticsUncachedP95)), unit: "ms" },
      { name: "analytics_cached_p95_worst_ms", value: round(Math.max(...analyticsCachedP95)), unit: "ms" },
    );

    return {
      scenario: `queries-${label(target)}`,
      setup: {
        events: target,
        ...Object.fromEntries(
          [...keys].map(([key, { orgId: id }]) => [`events_${key}`, summary.rowsByOrg.get(id) ?? 0]),
        ),
        queried_org_events: orgRows,
        period: `${FROM}..${TO}`,
        repetitions,
        cached_repetitions: cachedRepetitions,
        revenue_daily_rows: summary.revenueRows.length,
        clickhouse: "chDB (embedded), revenue rollup",
        cache: "in-process (lru-cache)",
        postgres: !baseline
          ? "skipped (set DATABASE_URL)"
          : databaseUrl === undefined
            ? "PGlite (embedded)"
            : "Postgres (DATABASE_URL)",
        postgres_repetitions: baseline ? baselineRepetitions : 0,
        clickhouse_load_s: Math.round(loadSeconds.clickhouse * 10) / 10,
        postgres_load_s: Math.round(loadSeconds.postgres * 10) / 10,
        analytics_questions: ANALYTICS_QUESTIONS.length,
        analytics_period: `${QUESTION_YEAR.from}..${QUESTION_YEAR.to}`,
        analytics_repetitions: analyticsRepetitions,
        analytics_cached_repetitions: analyticsCachedRepetitions,
        analytics_uncached: "whole HTTP request, answer cache emptied (untimed) before each run",
        analytics_checked:
          facts === undefined
            ? "total bookings against the generated count"
            : "every answer against its reference from the events",
        analytics_baseline: "none (no Postgres equivalent)",
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
