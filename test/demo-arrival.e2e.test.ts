import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { demoDataSet } from "../bin/load-demo-data.ts";
import { arrivalOrder } from "../generator/arrival-order.ts";
import type { GeneratedItem } from "../generator/generated-item.ts";
import { Rng } from "../generator/random.ts";
import { expectedAnomalies } from "../oracle/expected-anomalies.ts";
import {
  expectedBudgetVsActual,
  expectedConversion,
  expectedPayments,
  expectedReceivableBookings,
  expectedReceivables,
  expectedSeasonality,
  expectedSupplierPerformance,
} from "../oracle/expected-named-analytics.ts";
import { expectedRevenue } from "../oracle/expected-revenue.ts";
import { computeGroundTruth, type GroundTruth } from "../oracle/ground-truth.ts";
import { namedFacts, type NamedFacts } from "../oracle/named-analytics-facts.ts";
import { type OrgFacts, replayEvents } from "../oracle/replay-events.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { RECEIVABLE_BUCKETS } from "../query-api/receivables-query.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { postEvents, startTestApp, waitUntilProcessed } from "./support/test-app.ts";

// The demo's whole data set (tens of thousands of events, two organisations) posted in a random arrival order — a
// payment before its booking, an update before its create, a refund before its payment, across and within weddings —
// in requests of 1 to 1,000 events, must give exactly the ground-truth figures of the oracle everywhere, dead-letter
// no valid event, and give the same figures again after a rebuild from the log.

const TO = "2026-11-30";
/** The pipeline's duplicate-payment window, as bin/create-app.ts sets it. */
const DUPLICATE_WINDOW_MS = 24 * 3_600_000;

let dir: TempDir;
let app: App;
let span: { from: string; to: string };
let truth: GroundTruth;
const keys = new Map<string, string>();
const facts = new Map<string, OrgFacts>();
const named = new Map<string, NamedFacts>();

async function ask(orgKey: string, path: string, params: Record<string, string | number | boolean> = {}) {
  const rows: unknown[] = [];
  let cursor: string | null | undefined;
  do {
    const query = new URLSearchParams(
      Object.entries(cursor ? { ...params, cursor } : params).map(([k, v]): [string, string] => [k, String(v)]),
    );
    const res = await app.http.request(`/v1/${path}?${query}`, {
      headers: { authorization: `Bearer ${keys.get(orgKey)}` },
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const answer = JSON.parse(text) as { data: unknown[]; meta?: { nextCursor?: string | null } };
    rows.push(...answer.data);
    cursor = answer.meta?.nextCursor;
  } while (cursor);
  return rows;
}

/** Every figure of every organisation against the oracle's, and no dead letter. */
async function expectGroundTruthEverywhere(): Promise<void> {
  const { from, to } = span;
  for (const [orgKey, orgTruth] of Object.entries(truth.orgs)) {
    const f = named.get(orgKey)!;
    for (const interval of ["day", "week", "month"] as const) {
      for (const groupBy of ["none", "service", "region"] as const) {
        const q = { from, to, interval, groupBy };
        expect(await ask(orgKey, "analytics/revenue", q), `revenue ${interval} ${groupBy}`).toEqual(
          expectedRevenue(orgTruth, q),
        );
      }
      for (const groupBy of ["none", "method", "kind"] as const) {
        const q = { from, to, interval, groupBy };
        expect(await ask(orgKey, "analytics/payments", q), `payments ${interval} ${groupBy}`).toEqual(
          expectedPayments(f, q),
        );
      }
    }
    for (const by of ["month", "weekday"] as const) {
      const q = { from: "2020-01-01", to: "2030-12-31", by };
      expect(await ask(orgKey, "analytics/seasonality", q), `seasonality ${by}`).toEqual(expectedSeasonality(f, q));
    }
    expect(await ask(orgKey, "analytics/budget-vs-actual", { limit: 1000 }), "budget-vs-actual").toEqual(
      expectedBudgetVsActual(f, { overrunOnly: false }),
    );
    for (const asOf of ["2025-06-01", "2026-06-01"]) {
      expect(await ask(orgKey, "analytics/receivables", { asOf }), `receivables ${asOf}`).toEqual(
        expectedReceivables(f, { asOf }),
      );
      for (const bucket of RECEIVABLE_BUCKETS) {
        const q = { asOf, bucket, limit: 1000 };
        expect(await ask(orgKey, "analytics/receivables/bookings", q), `receivables ${asOf} ${bucket}`).toEqual(
          expectedReceivableBookings(f, { asOf, bucket }),
        );
      }
    }
    expect(await ask(orgKey, "analytics/supplier-performance", { from, to }), "supplier-performance").toEqual(
      expectedSupplierPerformance(f, { from, to }),
    );
    for (const by of ["channel", "service"] as const) {
      expect(await ask(orgKey, "analytics/conversion", { from, to, by }), `conversion ${by}`).toEqual(
        expectedConversion(f, { from, to, by }),
      );
    }
    const listed = (await ask(orgKey, "anomalies", { status: "open", limit: 1000 })) as {
      kind: string;
      subject: string;
      bookingId: string | null;
    }[];
    const open = listed
      .map(({ kind, subject, bookingId }) => ({ kind, subject, bookingId }))
      .sort((a, b) => (a.kind + a.subject < b.kind + b.subject ? -1 : 1));
    const holding = expectedAnomalies(facts.get(orgKey)!, { duplicatePaymentWindowMs: DUPLICATE_WINDOW_MS })
      .map(({ kind, subject, bookingId }) => ({ kind, subject, bookingId }))
      .sort((a, b) => (a.kind + a.subject < b.kind + b.subject ? -1 : 1));
    expect(open, "open anomalies").toEqual(holding);
    expect(await ask(orgKey, "rejected-events", { limit: 1000 }), "dead letters").toEqual([]);
  }
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-demo-arrival");
  app = await startTestApp(dir.path);
  const demo = demoDataSet(TO);
  span = { from: demo.from, to: demo.to };
  const arrival: GeneratedItem[] = arrivalOrder(demo.items, { seed: 12, shuffle: "random" });
  truth = computeGroundTruth(arrival);
  for (const [orgKey, orgFacts] of replayEvents(arrival)) {
    keys.set(orgKey, (await createOrganisation(app.sql, orgKey)).apiKey);
    facts.set(orgKey, orgFacts);
    named.set(orgKey, namedFacts(orgFacts, { duplicatePaymentWindowMs: DUPLICATE_WINDOW_MS }));
  }
  // Requests of 1 to 1,000 events, each of one organisation, in arrival order.
  const rng = new Rng(7);
  for (let start = 0; start < arrival.length; ) {
    const size = 1 + Math.floor(rng.next() ** 2 * 1000);
    const request = arrival.slice(start, start + size);
    for (const orgKey of keys.keys()) {
      const mine = request.filter((item) => item.orgKey === orgKey).map((item) => item.event);
      if (mine.length > 0) await postEvents(app, keys.get(orgKey)!, mine, 1000);
    }
    start += size;
  }
  await waitUntilProcessed(app, 600_000);
}, 900_000);

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

describe("the demo data set in a random arrival order", () => {
  it("has every event there is to check", () => {
    expect(Object.values(truth.orgs).reduce((n, t) => n + t.events.unique, 0)).toBeGreaterThan(20_000);
  });

  it("gives exactly the ground-truth figures everywhere and dead-letters no valid event", async () => {
    await expectGroundTruthEverywhere();
  }, 300_000);

  it("gives them again after a rebuild from the log", async () => {
    await app.rebuild();
    await expectGroundTruthEverywhere();
  }, 900_000);
});
