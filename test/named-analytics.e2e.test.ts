import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import {
  expectedBudgetVsActual,
  expectedConversion,
  expectedPayments,
  expectedPeriodComparison,
  expectedReceivableBookings,
  expectedReceivables,
  expectedSeasonality,
  expectedSupplierPerformance,
} from "../oracle/expected-named-analytics.ts";
import { generateWeddingData } from "../generator/generate-wedding-data.ts";
import type { GeneratedItem } from "../generator/generated-item.ts";
import { computeGroundTruth, type GroundTruth } from "../oracle/ground-truth.ts";
import { namedFacts, type NamedFacts } from "../oracle/named-analytics-facts.ts";
import { replayEvents } from "../oracle/replay-events.ts";
import { ORG_PRESETS } from "../generator/org-profiles.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { comparedPeriod, COMPARE_TO, periodContaining, PERIODS } from "../query-api/comparison-periods.ts";
import { COMPARISON_METRICS } from "../query-api/period-comparison-query.ts";
import { RECEIVABLE_BUCKETS } from "../query-api/receivables-query.ts";
import { expectOutOfOrderBookingAgrees, outOfOrderBookingEvents } from "./support/out-of-order-booking.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { postEvents, startTestApp, waitUntilProcessed } from "./support/test-app.ts";

const FROM = "2025-06-01";
const TO = "2026-10-31";
/** The pipeline's duplicate-payment window, as bin/create-app.ts sets it. */
const DUPLICATE_WINDOW_MS = 24 * 3_600_000;

let dir: TempDir;
let app: App;
let items: GeneratedItem[];
const keys = new Map<string, string>();
const orgIds = new Map<string, string>();
const facts = new Map<string, NamedFacts>();
let truth: GroundTruth;

interface Answer<T = Record<string, unknown>> {
  data: T[];
  meta: Record<string, unknown> & { nextCursor?: string | null };
}

async function get(orgKey: string, path: string, params: Record<string, string | number | boolean> = {}) {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  return app.http.request(`/v1/analytics/${path}?${query}`, {
    headers: { authorization: `Bearer ${keys.get(orgKey)}` },
  });
}

/** The JSON answer of a question, which must succeed. */
async function ask<T>(
  orgKey: string,
  path: string,
  params: Record<string, string | number | boolean> = {},
): Promise<Answer<T>> {
  const res = await get(orgKey, path, params);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Answer<T>;
}

/** Every row of a paged question, page by page, following nextCursor. */
async function askAllPages(orgKey: string, path: string, params: Record<string, string | number | boolean>) {
  const rows: unknown[] = [];
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const answer = await ask(orgKey, path, cursor ? { ...params, cursor } : params);
    rows.push(...answer.data);
    cursor = answer.meta.nextCursor;
    pages++;
  } while (cursor);
  return { rows, pages };
}

/** The parameter paths a bad request is refused for. */
async function refused(path: string, params: Record<string, string>) {
  const res = await get([...keys.keys()][0]!, path, params);
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
  expect(body.error.code).toBe("invalid_request");
  return body.error.details.map((d) => d.path);
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-named");
  app = await startTestApp(dir.path);
  // Three organisations (one trading in two currencies, one in a zero-decimal currency), with anomalies, events to be
  // dead-lettered and resent duplicates; about 1,300 events in all.
  items = [
    ...generateWeddingData({
      seed: 1,
      organisations: [
        { ...ORG_PRESETS.venueGroup, weddingsPerYear: 25 },
        { ...ORG_PRESETS.soloFlorist, weddingsPerYear: 20 },
        { ...ORG_PRESETS.tokyoStudio, weddingsPerYear: 20 },
      ],
      from: FROM,
      to: TO,
      anomalyRate: 0.4,
      mismatchRate: 0.05,
      duplicateRate: 0.03,
    }),
  ];
  // The first organisation also sends a booking updated out of order (the generator never does), posted after its
  // generated events; ground truth and the reference see it too.
  items.push(...outOfOrderBookingEvents().map((event) => ({ orgKey: items[0]!.orgKey, event })));
  truth = computeGroundTruth(items);
  const replayed = replayEvents(items);
  for (const orgKey of Object.keys(truth.orgs)) {
    const org = await createOrganisation(app.sql, orgKey);
    keys.set(orgKey, org.apiKey);
    orgIds.set(orgKey, org.orgId);
    facts.set(orgKey, namedFacts(replayed.get(orgKey)!, { duplicatePaymentWindowMs: DUPLICATE_WINDOW_MS }));
  }
  for (const orgKey of keys.keys()) {
    const mine = items.filter((item) => item.orgKey === orgKey).map((item) => item.event);
    await postEvents(app, keys.get(orgKey)!, mine);
  }
  await waitUntilProcessed(app);
});

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

describe("the named analytics endpoints, against figures computed from the posted events", () => {
  it("adds up, over all time, to the generator's own ground-truth totals per currency and channel", async () => {
    const ALL = { from: "2000-01-01", to: "2099-12-31" };
    /** Rows summed per currency, figure by figure. */
    const perCurrency = (rows: Record<string, unknown>[], figures: string[]) => {
      const sums: Record<string, Record<string, number>> = {};
      for (const row of rows) {
        const sum = (sums[row.currency as string] ??= Object.fromEntries(figures.map((f) => [f, 0])));
        for (const f of figures) sum[f]! += (row[f] as number | null) ?? 0;
      }
      return sums;
    };
    for (const [orgKey, orgTruth] of Object.entries(truth.orgs)) {
      const totals = orgTruth.totals;
      // A currency none of the picked figures is in (money only a mismatched payment moved) has no row to compare.
      const truthOf = (pick: (t: (typeof totals)[string]) => Record<string, number>) =>
        Object.fromEntries(
          Object.entries(totals)
            .map(([currency, t]) => [currency, pick(t)] as const)
            .filter(([, figures]) => Object.values(figures).some((n) => n !== 0)),
        );
      const suppliers = (await ask<Record<string, unknown>>(orgKey, "supplier-performance", ALL)).data;
      expect(
        perCurrency(suppliers, ["bookings", "contractValue", "cancellations", "paymentsReceived", "refunds"]),
      ).toEqual(
        truthOf((t) => ({
          bookings: t.bookings,
          contractValue: t.contractValue,
          cancellations: t.cancelledBookings,
          paymentsReceived: t.paymentsReceived,
          refunds: t.refunds,
        })),
      );
      const seasons = (await ask<Record<string, unknown>>(orgKey, "seasonality", { ...ALL, by: "month" })).data;
      expect(perCurrency(seasons, ["bookings", "contractValue"])).toEqual(
        truthOf((t) => ({ bookings: t.bookings, contractValue: t.contractValue })),
      );
      const budgets = (await askAllPages(orgKey, "budget-vs-actual", { limit: 1000 })).rows as Record<
        string,
        unknown
      >[];
      const spent = perCurrency(budgets, ["allocated", "spent"]);
      for (const [currency, t] of Object.entries(totals)) {
        expect({ currency, allocated: spent[currency]?.allocated ?? 0, spent: spent[currency]?.spent ?? 0 }).toEqual({
          currency,
          allocated: t.budgetAllocated,
          spent: t.expenses,
        });
      }
      const channels = (
        await ask<{ channel: string; inquiries: number; converted: number }>(orgKey, "conversion", {
          ...ALL,
          by: "channel",
        })
      ).data;
      expect(
        Object.fromEntries(channels.map((c) => [c.channel, { inquiries: c.inquiries, converted: c.converted }])),
      ).toEqual(orgTruth.inquiries);
    }
  });

  it("agrees with the aggregation and the Postgres projection on a booking updated out of order", async () => {
    const orgKey = items[0]!.orgKey;
    await expectOutOfOrderBookingAgrees(app, keys.get(orgKey)!, orgIds.get(orgKey)!);
  });

  it("has data worth checking: overruns, flags, cancellations, refunds and several currencies", () => {
    const all = [...facts.values()];
    expect(all.every((f) => expectedBudgetVsActual(f, { overrunOnly: true }).length > 0)).toBe(true);
    expect(all.every((f) => f.flags.length > 0)).toBe(true);
    expect(all.some((f) => f.bookings.some((b) => b.cancelled))).toBe(true);
    expect(all.some((f) => f.refunds.length > 0)).toBe(true);
    expect(new Set(all.flatMap((f) => f.bookings.map((b) => b.currency))).size).toBeGreaterThanOrEqual(4);
  });

  it("answers payments over time by method, kind or neither", async () => {
    for (const [orgKey, f] of facts) {
      for (const q of [
        { from: FROM, to: TO, interval: "month", groupBy: "method" },
        { from: FROM, to: TO, interval: "week", groupBy: "kind" },
        { from: "2026-05-01", to: "2026-06-30", interval: "day", groupBy: "none" },
      ] as const) {
        const answer = await ask(orgKey, "payments", q);
        expect(answer.data).toEqual(expectedPayments(f, q));
        expect(answer.meta).toMatchObject(q);
      }
    }
  });

  it("answers seasonality by wedding month and weekday", async () => {
    for (const [orgKey, f] of facts) {
      for (const q of [
        { from: "2025-01-01", to: "2027-12-31", by: "month" },
        { from: "2026-01-01", to: "2026-12-31", by: "weekday" },
      ] as const) {
        const { data } = await ask(orgKey, "seasonality", q);
        expect(data).toEqual(expectedSeasonality(f, q));
      }
    }
    // Most weddings are on Saturdays.
    const { data } = await ask<{ weekday: number; bookings: number }>([...keys.keys()][0]!, "seasonality", {
      from: FROM,
      to: "2027-12-31",
      by: "weekday",
    });
    expect(data.reduce((best, r) => (r.bookings > best.bookings ? r : best)).weekday).toBe(6);
  });

  it("answers budget against spend, page by page, with overruns and one wedding alone", async () => {
    for (const [orgKey, f] of facts) {
      const all = await askAllPages(orgKey, "budget-vs-actual", { limit: 40 });
      expect(all.rows).toEqual(expectedBudgetVsActual(f, { overrunOnly: false }));
      expect(all.pages).toBe(Math.max(1, Math.ceil(all.rows.length / 40)));
      const overruns = await ask(orgKey, "budget-vs-actual", { overrunOnly: true, limit: 1000 });
      expect(overruns.data).toEqual(expectedBudgetVsActual(f, { overrunOnly: true }));
      expect(overruns.meta.nextCursor).toBeNull();
      const weddingId = f.allocations[0]!.weddingId;
      const one = await ask(orgKey, "budget-vs-actual", { weddingId });
      expect(one.data).toEqual(expectedBudgetVsActual(f, { weddingId, overrunOnly: false }));
      expect(one.data.length).toBeGreaterThan(0);
    }
  });

  it("holds the same budgets as the Postgres projection", async () => {
    for (const [orgKey, orgId] of orgIds) {
      const { rows } = await askAllPages(orgKey, "budget-vs-actual", { limit: 1000 });
      const projected = await app.sql.query<Record<string, unknown>>(
        `SELECT wedding_id, category, currency, allocated_amount, spent_amount FROM budgets WHERE org_id = $1
         ORDER BY wedding_id COLLATE "C", category COLLATE "C", currency COLLATE "C"`,
        [orgId],
      );
      expect(
        rows.map((r) => {
          const { weddingId, category, currency, allocated, spent } = r as Record<string, unknown>;
          return [weddingId, category, currency, allocated, spent];
        }),
      ).toEqual(
        projected.map((p) => [
          p.wedding_id,
          p.category,
          p.currency,
          p.allocated_amount === null ? null : Number(p.allocated_amount),
          Number(p.spent_amount),
        ]),
      );
    }
  });

  it("ages receivables from any day, and lists the bookings of each bucket", async () => {
    for (const [orgKey, f] of facts) {
      for (const asOf of ["2026-03-15", "2026-08-01"]) {
        const { data, meta } = await ask(orgKey, "receivables", { asOf });
        expect(data).toEqual(expectedReceivables(f, { asOf }));
        expect(meta.asOf).toBe(asOf);
      }
      for (const bucket of RECEIVABLE_BUCKETS) {
        const { rows } = await askAllPages(orgKey, "receivables/bookings", { asOf: "2026-08-01", bucket, limit: 25 });
        expect(rows).toEqual(expectedReceivableBookings(f, { asOf: "2026-08-01", bucket }));
      }
      const today = new Date().toISOString().slice(0, 10);
      const byDefault = await ask(orgKey, "receivables");
      expect(byDefault.meta.asOf).toBe(today);
      expect(byDefault.data).toEqual(expectedReceivables(f, { asOf: today }));
    }
  });

  it("owes per currency what the Postgres projection's balances of active bookings add up to", async () => {
    for (const [orgKey, orgId] of orgIds) {
      const { data } = await ask<{ currency: string; bookings: number; outstanding: number }>(orgKey, "receivables", {
        asOf: "2026-06-01",
      });
      const owed: Record<string, [number, number]> = {};
      for (const r of data)
        owed[r.currency] = [(owed[r.currency]?.[0] ?? 0) + r.bookings, (owed[r.currency]?.[1] ?? 0) + r.outstanding];
      const projected = await app.sql.query<Record<string, unknown>>(
        `SELECT currency, count(*) AS n, sum(balance_amount) AS owed FROM bookings
         WHERE org_id = $1 AND status = 'active' AND balance_amount > 0 GROUP BY currency`,
        [orgId],
      );
      expect(owed).toEqual(Object.fromEntries(projected.map((p) => [p.currency, [Number(p.n), Number(p.owed)]])));
    }
  });

  it("answers supplier performance with the anomalies flagged on each supplier's bookings", async () => {
    for (const [orgKey, f] of facts) {
      for (const q of [
        { from: FROM, to: TO },
        { from: "2026-04-01", to: "2026-06-30" },
      ]) {
        const { data } = await ask<{ anomalies: number }>(orgKey, "supplier-performance", q);
        expect(data).toEqual(expectedSupplierPerformance(f, q));
      }
      const { data } = await ask<{ anomalies: number }>(orgKey, "supplier-performance", { from: FROM, to: TO });
      expect(data.reduce((n, r) => n + r.anomalies, 0)).toBe(f.flags.length);
    }
  });

  it("answers conversion by channel and by service, as the inquiries projection converts them", async () => {
    for (const [orgKey, f] of facts) {
      for (const by of ["channel", "service"] as const) {
        const { data } = await ask(orgKey, "conversion", { from: FROM, to: TO, by });
        expect(data).toEqual(expectedConversion(f, { from: FROM, to: TO, by }));
      }
      const { data } = await ask<{ channel: string; converted: number; inquiries: number }>(orgKey, "conversion", {
        from: "1900-01-01",
        to: "2299-12-31",
      });
      const projected = await app.sql.query<Record<string, unknown>>(
        `SELECT channel, count(*) AS n, count(converted_booking_id) AS converted FROM inquiries WHERE org_id = $1
         GROUP BY channel ORDER BY channel COLLATE "C"`,
        [orgIds.get(orgKey)],
      );
      expect(data.map((r) => [r.channel, r.inquiries, r.converted])).toEqual(
        projected.map((p) => [p.channel, Number(p.n), Number(p.converted)]),
      );
    }
  });

  it("compares every metric, over months, quarters, seasons and years, with the previous period or last year's", async () => {
    const questions = [
      ...COMPARISON_METRICS.map((metric) => ({ metric, period: "quarter", compareTo: "lastYear" }) as const),
      ...PERIODS.flatMap((period) =>
        COMPARE_TO.map((compareTo) => ({ metric: "netRevenue", period, compareTo }) as const),
      ),
    ];
    for (const [orgKey, f] of facts) {
      for (const question of questions) {
        const q = { ...question, anchor: "2026-07-20" };
        const { data, meta } = await ask(orgKey, "period-comparison", q);
        const current = periodContaining(q.period, q.anchor);
        const previous = comparedPeriod(q.period, current, q.compareTo);
        expect(meta).toMatchObject({ ...q, current, previous });
        expect(data).toEqual(expectedPeriodComparison(f, q.metric, current, previous));
      }
    }
    const { meta } = await ask([...keys.keys()][0]!, "period-comparison", {
      metric: "bookings",
      period: "season",
      anchor: "2026-01-15",
    });
    expect(meta).toMatchObject({
      current: { from: "2025-12-01", to: "2026-02-28" },
      previous: { from: "2025-09-01", to: "2025-11-30" },
    });
  });

  it("names every bad parameter of each endpoint, and only those", async () => {
    expect(await refused("payments", { from: "2026-02-30", to: "2026-01-01", groupBy: "colour" })).toEqual([
      "from",
      "groupBy",
    ]);
    expect(await refused("payments", { from: "2026-03-01", to: "2026-01-01" })).toEqual(["to"]);
    expect(await refused("seasonality", { from: "2026-01-01", to: "2026-12-31", by: "hour", colour: "red" })).toEqual([
      "by",
      "$",
    ]);
    expect(await refused("budget-vs-actual", { overrunOnly: "maybe", limit: "0" })).toEqual(["overrunOnly", "limit"]);
    expect(await refused("budget-vs-actual", { cursor: "bm90LWEtY3Vyc29y" })).toEqual(["cursor"]);
    expect(await refused("receivables", { asOf: "yesterday" })).toEqual(["asOf"]);
    expect(await refused("receivables/bookings", { bucket: "120+", limit: "5000" })).toEqual(["bucket", "limit"]);
    expect(await refused("supplier-performance", { from: "2026-01-01" })).toEqual(["to"]);
    expect(await refused("conversion", { from: "2026-01-01", to: "2026-12-31", by: "region" })).toEqual(["by"]);
    expect(await refused("period-comparison", { period: "week", compareTo: "tomorrow" })).toEqual([
      "metric",
      "period",
      "compareTo",
    ]);
    // A cursor is taken only by the question it was given for.
    const orgKey = [...keys.keys()][0]!;
    const first = await ask(orgKey, "budget-vs-actual", { limit: 5 });
    const res = await get(orgKey, "budget-vs-actual", { limit: 5, overrunOnly: true, cursor: first.meta.nextCursor! });
    expect(res.status).toBe(400);
  });

  it("refuses a cursor given out before new events were processed, and answers a fresh first page", async () => {
    // An organisation of its own, so the events posted here change no other test's answers.
    const { apiKey } = await createOrganisation(app.sql, "late-pager");
    const allocate = async (weddings: string[]) => {
      const events = weddings.map((weddingId) => ({
        id: randomUUID(),
        type: "budget.allocated",
        occurredAt: "2026-03-01T09:00:00Z",
        source: "test",
        data: { weddingId, category: "florist", amount: { amount: 500, currency: "GBP" } },
      }));
      const posted = await app.http.request("/v1/events", {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(events),
      });
      expect(posted.status).toBe(202);
      await waitUntilProcessed(app);
    };
    const page = (cursor?: string) =>
      app.http.request(
        `/v1/analytics/budget-vs-actual?${new URLSearchParams({ limit: "2", ...(cursor ? { cursor } : {}) })}`,
        {
          headers: { authorization: `Bearer ${apiKey}` },
        },
      );
    const weddingsOf = async (res: Response) => {
      expect(res.status).toBe(200);
      const { data, meta } = (await res.json()) as Answer<{ weddingId: string }>;
      return { weddings: data.map((r) => r.weddingId), next: meta.nextCursor };
    };
    await allocate(["w-b", "w-d", "w-f"]);
    const first = await weddingsOf(await page());
    expect(first.weddings).toEqual(["w-b", "w-d"]);
    // Weddings that sort before the first page's: a cursor does not pin the data, so its page is cut from the answer
    // as it now stands (rows 3 and 4: w-d again, and w-a is on no page of that walk).
    await allocate(["w-a", "w-c"]);
    expect((await weddingsOf(await page(first.next!))).weddings).toEqual(["w-c", "w-d"]);
    const fresh = await weddingsOf(await page());
    expect(fresh.weddings).toEqual(["w-a", "w-b"]);
    expect((await weddingsOf(await page(fresh.next!))).weddings).toEqual(["w-c", "w-d"]);
  });

  it("never shows an organisation another's rows, whatever ids it passes", async () => {
    const [a, b] = [...keys.keys()] as [string, string];
    const theirs = facts.get(a)!;
    const weddingId = theirs.allocations[0]!.weddingId;
    expect((await ask(b, "budget-vs-actual", { weddingId })).data).toEqual([]);
    const listed = await askAllPages(b, "receivables/bookings", { asOf: "2026-06-01", limit: 1000 });
    const aBookings = new Set(theirs.bookings.map((x) => x.bookingId));
    expect(listed.rows.length).toBeGreaterThan(0);
    expect(listed.rows.some((r) => aBookings.has((r as { bookingId: string }).bookingId))).toBe(false);
    const suppliers = await ask<{ supplierId: string }>(b, "supplier-performance", { from: FROM, to: TO });
    const aSuppliers = new Set(theirs.bookings.map((x) => x.supplierId));
    expect(suppliers.data.some((r) => aSuppliers.has(r.supplierId))).toBe(false);
  });

  it("answers in CSV on request, with a header row", async () => {
    const orgKey = [...keys.keys()][0]!;
    const res = await get(orgKey, "receivables", { asOf: "2026-06-01", format: "csv" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = (await res.text()).trim().split("\n");
    const expected = expectedReceivables(facts.get(orgKey)!, { asOf: "2026-06-01" });
    expect(lines[0]).toBe('"bucket","currency","bookings","outstanding"');
    expect(lines.slice(1)).toEqual(expected.map((r) => `"${r.bucket}","${r.currency}",${r.bookings},${r.outstanding}`));
  });
});
