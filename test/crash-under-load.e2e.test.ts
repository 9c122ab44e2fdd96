import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { expectedRevenue, type RevenueQuestion } from "../oracle/expected-revenue.ts";
import { computeGroundTruth } from "../oracle/ground-truth.ts";
import { ORG_PRESETS } from "../generator/org-profiles.ts";
import { DERIVED_POSTGRES_TABLES } from "../processors/rebuild-from-log.ts";
import type { RevenueRow } from "../query-api/revenue-query.ts";
import { runCrashScenario, type CrashOutcome } from "./support/crash-harness.ts";
import { describeOnEachStack, type ServerStack } from "./support/server-stack.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./support/test-app.ts";

// The short run is part of `npm test`; `npm run test:crash` sets these for the long one.
const EVENTS = Number(process.env.CRASH_EVENTS ?? 1_500);
const KILLS = Number(process.env.CRASH_KILLS ?? 10);
const LONG = EVENTS > 100_000;
const FROM = "2025-01-01";
const TO = "2026-10-31";

/** The run on one stack of stores: the server runs as a child process with the stack's environment. */
function describeCrashUnderLoad(title: string, openStack: () => Promise<ServerStack>): void {
  describe(`${EVENTS} events under a steady load with ${KILLS}+ SIGKILLs, ${title}`, () => {
    let dir: TempDir;
    let outcome: CrashOutcome;
    let app: App;
    let orgId: string;
    let stack: ServerStack;

    async function revenue(q: RevenueQuestion): Promise<RevenueRow[]> {
      const params = new URLSearchParams({ from: q.from, to: q.to, interval: q.interval, groupBy: q.groupBy });
      const res = await app.http.request(`/v1/analytics/revenue?${params}`, {
        headers: { authorization: `Bearer ${outcome.apiKey}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: RevenueRow[] }).data;
    }

    /** Every derived Postgres table, rows in key order, without the one column a rebuild rewrites (detected_at). */
    async function dumpProjections(): Promise<Record<string, unknown[]>> {
      const dump: Record<string, unknown[]> = {};
      for (const table of DERIVED_POSTGRES_TABLES) {
        const rows = await app.sql.query(`SELECT * FROM ${table}`);
        // When an anomaly was judged, and the last event of the batch that judged it, depend on where batches were cut.
        dump[table] = rows
          .map(({ detected_at, updated_at, resolved_at, log_partition, log_offset, ...row }) =>
            JSON.stringify(table === "anomalies" ? row : { ...row, log_partition, log_offset }, (_k, v) =>
              typeof v === "bigint" ? String(v) : v,
            ),
          )
          .sort();
      }
      return dump;
    }

    beforeAll(async () => {
      dir = await makeTempDir("wedsync-crash-load");
      stack = await openStack();
      outcome = await runCrashScenario({
        env: stack.env,
        dataDir: dir.path,
        events: EVENTS,
        kills: KILLS,
        lanes: 4,
        batchSize: LONG ? 500 : 25,
        crashPoints: [
          "ingest.after-append=0.01",
          "process.during-clickhouse-insert=0.01",
          "process.after-clickhouse-insert=0.01",
          "process.during-postgres-commit=0.01",
          "process.after-postgres-commit=0.01",
        ].join(","),
        generate: {
          seed: 31,
          organisations: [LONG ? ORG_PRESETS.chain : ORG_PRESETS.soloFlorist],
          from: FROM,
          to: TO,
          anomalyRate: 0.02,
        },
        log: LONG ? (line) => console.info(line) : undefined,
      });
      app = await startTestApp(dir.path, stack.env);
      await waitUntilProcessed(app, 600_000);
      orgId = (await app.sql.query<{ id: string }>("SELECT id FROM organisations"))[0]!.id;
    }, 3_600_000);

    afterAll(async () => {
      await app?.close();
      await dir?.cleanup();
      await stack?.dispose();
    });

    it("acknowledged every event, after at least the planned kills", () => {
      const unique = new Set(outcome.items.map((item) => item.event.id));
      expect(outcome.acknowledged.size).toBe(unique.size);
      expect(outcome.externalKills).toBe(KILLS);
      console.info(
        `crash run: ${outcome.acknowledged.size} events acknowledged, ${outcome.externalKills} external + ${outcome.selfKills} crash-point kills, ` +
          `${outcome.requests} requests (${outcome.retries} retried), ${(outcome.ms / 1000).toFixed(1)} s`,
      );
    });

    it("has each acknowledged event in ClickHouse exactly once, and nothing else", async () => {
      const query = async (sql: string) =>
        await (await app.ch.query({ query: sql, query_params: { org: orgId }, format: "JSONEachRow" })).json<
          Record<string, string | number>
        >();
      const stored = await query(
        `SELECT id FROM events FINAL WHERE org_id = {org:String}
       UNION ALL SELECT toUUID(id) FROM rejected_events FINAL WHERE org_id = {org:String} AND id != ''`,
      );
      const ids = stored.map((r) => String(r.id));
      expect(ids.length).toBe(new Set(ids).size);
      expect(new Set(ids)).toEqual(outcome.acknowledged);
      const [raw] = await query("SELECT count() - uniqExact(id) AS extra FROM events WHERE org_id = {org:String}");
      console.info(
        `crash run: ${raw!.extra} raw duplicate rows awaiting merge (collapsed by FINAL), 0 lost, 0 counted twice`,
      );
    });

    it("answers every revenue question exactly as ground truth computed from the acknowledged events", async () => {
      const truth = Object.values(
        computeGroundTruth(outcome.items.filter((i) => outcome.acknowledged.has(i.event.id))).orgs,
      )[0]!;
      for (const question of [
        { from: FROM, to: TO, interval: "month", groupBy: "service" },
        { from: FROM, to: TO, interval: "week", groupBy: "region" },
        { from: FROM, to: TO, interval: "day", groupBy: "none" },
      ] as RevenueQuestion[]) {
        expect(await revenue(question)).toEqual(expectedRevenue(truth, question));
      }
    });

    it("has Postgres projections equal to a fresh rebuild from the log, and the same figures after it", async () => {
      const before = await dumpProjections();
      const figures = await revenue({ from: FROM, to: TO, interval: "month", groupBy: "service" });
      await app.close();
      // No processor while rebuilding: the rebuild is the only writer.
      app = await startTestApp(dir.path, stack.env, ["api"]);
      await app.rebuild();
      expect(await dumpProjections()).toEqual(before);
      expect(await revenue({ from: FROM, to: TO, interval: "month", groupBy: "service" })).toEqual(figures);
    });
  });
}

describeOnEachStack("the crash run", "crash-load", describeCrashUnderLoad);
