import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { aggregateFacts, expectedAggregate, type AggregateFacts } from "../oracle/expected-aggregate.ts";
import { generateWeddingData } from "../generator/generate-wedding-data.ts";
import type { GeneratedItem } from "../generator/generated-item.ts";
import { EventReplay } from "../oracle/replay-events.ts";
import { ORG_PRESETS } from "../generator/org-profiles.ts";
import { AggregateRequest, checkAggregateRequest } from "../query-api/aggregation/aggregate-request.ts";
import { DIMENSION_NAMES } from "../query-api/aggregation/dimensions.ts";
import { METRIC_NAMES } from "../query-api/aggregation/metrics.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import { expectOutOfOrderBookingAgrees, outOfOrderBookingEvents } from "./support/out-of-order-booking.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { postEvents, startTestApp, waitUntilProcessed } from "./support/test-app.ts";

const FROM = "2025-03-01";
const TO = "2026-08-31";
const WIDE = { from: "2024-01-01", to: "2028-12-31" };

let dir: TempDir;
let app: App;
let orgKeys: string[];
const keys = new Map<string, string>();
const orgIds = new Map<string, string>();
const facts = new Map<string, AggregateFacts>();
/** Ids of things each organisation has, to name them from another organisation. */
const idsOf = new Map<string, { weddings: string[]; suppliers: string[] }>();

type Row = Record<string, string | number | null>;

async function ask(
  orgKey: string,
  body: unknown,
  { query = "", headers = {} }: { query?: string; headers?: Record<string, string> } = {},
) {
  return app.http.request(`/v1/analytics/query${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${keys.get(orgKey)}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function rows(
  orgKey: string,
  body: Record<string, unknown>,
): Promise<{ data: Row[]; meta: Record<string, unknown> }> {
  const res = await ask(orgKey, body);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as { data: Row[]; meta: Record<string, unknown> };
}

async function problems(orgKey: string, body: unknown): Promise<{ path: string; message: string }[]> {
  const res = await ask(orgKey, body);
  const text = await res.text();
  expect(res.status, text).toBe(400);
  const error = (JSON.parse(text) as { error: { code: string; details: { path: string; message: string }[] } }).error;
  expect(error.code).toBe("invalid_request");
  return error.details;
}

/** The reference answer of a request, computed in TypeScript from the organisation's accepted events. */
function expected(orgKey: string, body: Record<string, unknown>): Row[] {
  const question = checkAggregateRequest(AggregateRequest.parse({ ...body, limit: 10_000 }));
  return expectedAggregate(facts.get(orgKey)!, question);
}

async function eventCount(): Promise<number> {
  const rs = await app.ch.query({ query: "SELECT count() AS n FROM events", format: "JSONEachRow" });
  return Number((await rs.json<{ n: number }>())[0]!.n);
}

beforeAll(async () => {
  dir = await makeTempDir("wedsync-aggregate");
  app = await startTestApp(dir.path);
  const items: GeneratedItem[] = [
    ...generateWeddingData({
      seed: 2,
      organisations: [ORG_PRESETS.venueGroup, ORG_PRESETS.soloFlorist, ORG_PRESETS.tokyoStudio],
      from: FROM,
      to: TO,
      anomalyRate: 0.05,
      mismatchRate: 0.03,
      duplicateRate: 0.03,
      // Some 1,400 events over the 18 months: every kind of fact, cancellations and refunds included.
      scale: 0.025,
    }),
  ];
  const replay = new EventReplay();
  orgKeys = [...new Set(items.map((item) => item.orgKey))];
  for (const orgKey of orgKeys) {
    const org = await createOrganisation(app.sql, orgKey);
    keys.set(orgKey, org.apiKey);
    orgIds.set(orgKey, org.orgId);
    const mine = items.filter((item) => item.orgKey === orgKey).map((item) => item.event);
    // The first organisation also sends a booking updated out of order, which the generator never does.
    if (orgKey === orgKeys[0]) mine.push(...outOfOrderBookingEvents());
    await postEvents(app, org.apiKey, mine);
    // What the pipeline keeps: each event id once, less the ones it dead-letters, in arrival order.
    const accepted = mine.filter((event) => replay.add({ orgKey, event }) === "accepted");
    facts.set(orgKey, aggregateFacts(replay.facts(orgKey)!));
    const weddings = new Set<string>();
    const suppliers = new Set<string>();
    for (const event of accepted) {
      if ("weddingId" in event.data && event.data.weddingId) weddings.add(event.data.weddingId);
      if (event.type === "booking.created") suppliers.add(event.data.supplierId);
    }
    idsOf.set(orgKey, { weddings: [...weddings], suppliers: [...suppliers] });
  }
  await waitUntilProcessed(app);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await dir?.cleanup();
});

describe("POST /v1/analytics/query", () => {
  it("answers every metric, by many dimensions, filters and both dates, as computed independently", async () => {
    const requests: Record<string, unknown>[] = [
      {
        metrics: ["bookings", "contractValue", "averageBookingValue", "guests", "cancellations"],
        groupBy: ["service"],
        interval: "month",
        from: FROM,
        to: TO,
      },
      {
        metrics: ["paymentsReceived", "refunds", "netRevenue"],
        groupBy: ["region"],
        interval: "week",
        from: FROM,
        to: TO,
      },
      {
        metrics: ["netRevenue", "bookings"],
        groupBy: ["supplier"],
        interval: "quarter",
        ...WIDE,
        dateField: "wedding",
      },
      { metrics: ["paymentsReceived"], groupBy: ["paymentMethod", "weddingMonth"], ...WIDE, dateField: "wedding" },
      { metrics: ["expenses", "budgetAllocated"], groupBy: ["category"], interval: "year", ...WIDE },
      {
        metrics: ["expenses", "budgetAllocated"],
        groupBy: ["wedding"],
        ...WIDE,
        dateField: "wedding",
        orderBy: [{ field: "budgetAllocated", direction: "desc" }],
      },
      { metrics: ["inquiries", "convertedInquiries", "conversionRate"], groupBy: ["channel"], ...WIDE },
      {
        metrics: ["inquiries", "conversionRate"],
        groupBy: ["service", "weekday"],
        interval: "month",
        ...WIDE,
        dateField: "wedding",
      },
      {
        metrics: ["bookings", "guests"],
        groupBy: ["weekday", "weddingMonth"],
        ...WIDE,
        dateField: "wedding",
        orderBy: [{ field: "bookings", direction: "desc" }],
      },
      {
        metrics: ["contractValue"],
        groupBy: ["venue"],
        interval: "day",
        from: "2026-03-01",
        to: "2026-05-31",
        filters: { weekday: { gte: 5, lte: 7 } },
      },
      {
        metrics: ["bookings", "paymentsReceived"],
        groupBy: ["currency", "service"],
        ...WIDE,
        filters: { service: ["venue", "florist", "catering"] },
      },
      {
        metrics: ["averageBookingValue", "cancellations"],
        groupBy: ["service"],
        ...WIDE,
        filters: { weddingMonth: { gte: 5, lte: 9 } },
        orderBy: [{ field: "averageBookingValue", direction: "asc" }],
      },
      { metrics: ["bookings"], from: FROM, to: TO },
    ];
    for (const orgKey of orgKeys) {
      const region = facts.get(orgKey)!.facts.find((f) => f.source === "bookings" && f.dims.region)?.dims.region;
      const perOrg =
        region === undefined
          ? requests
          : [
              ...requests,
              { metrics: ["refunds", "paymentsReceived"], groupBy: ["service"], ...WIDE, filters: { region } },
            ];
      for (const body of perOrg) {
        const { data, meta } = await rows(orgKey, { ...body, limit: 10_000 });
        expect(data, `${orgKey} ${JSON.stringify(body)}`).toEqual(expected(orgKey, body));
        expect(meta.nextCursor).toBeNull();
      }
    }
    // The reference is not trivially empty: the figures compared above are real.
    const [first] = orgKeys;
    const all = expected(first!, {
      metrics: ["bookings", "paymentsReceived", "expenses", "budgetAllocated"],
      groupBy: ["currency"],
      ...WIDE,
    });
    for (const metric of ["bookings", "paymentsReceived", "expenses", "budgetAllocated"])
      expect(all.some((r) => (r[metric] as number) > 0)).toBe(true);
  });

  it("agrees with the named endpoints and the Postgres projection on a booking updated out of order", async () => {
    await expectOutOfOrderBookingAgrees(app, keys.get(orgKeys[0]!)!, orgIds.get(orgKeys[0]!)!);
  });

  it("walks every page of a question to exactly the unpaged answer", async () => {
    const orgKey = orgKeys[0]!;
    const body = {
      metrics: ["bookings", "netRevenue"],
      groupBy: ["service"],
      interval: "week",
      ...WIDE,
      orderBy: [{ field: "netRevenue", direction: "desc" }],
    };
    const whole = (await rows(orgKey, { ...body, limit: 10_000 })).data;
    expect(whole.length).toBeGreaterThan(20);
    const walked: Row[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { data, meta } = await rows(orgKey, { ...body, limit: 7, ...(cursor ? { cursor } : {}) });
      expect(data.length).toBeLessThanOrEqual(7);
      walked.push(...data);
      cursor = (meta.nextCursor as string | null) ?? undefined;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(Math.ceil(whole.length / 7));
    expect(walked).toEqual(whole);

    // CSV pages name their successor; a short page is the last.
    let csvRows = 0;
    cursor = undefined;
    for (;;) {
      const res = await ask(orgKey, { ...body, limit: 9, ...(cursor ? { cursor } : {}) }, { query: "?format=csv" });
      const lines = (await res.text()).trimEnd().split("\n").slice(1);
      csvRows += lines.length;
      if (lines.length < 9) break;
      cursor = res.headers.get("x-next-cursor")!;
    }
    expect(csvRows).toBe(whole.length);
  });

  it("sends the same rows as CSV with a header and as NDJSON, chosen by ?format= or Accept", async () => {
    // A dimension some bookings of an organisation leave out: null in JSON, an empty field in CSV.
    const [orgKey, dimension] = orgKeys
      .flatMap((k) => ["region", "venue"].map((d) => [k, d] as const))
      .find(([k, d]) => facts.get(k)!.facts.some((f) => f.source === "bookings" && f.dims[d] === ""))!;
    const body = {
      metrics: ["bookings", "averageBookingValue"],
      groupBy: [dimension, "service"],
      interval: "month",
      from: FROM,
      to: TO,
    };
    const json = (await rows(orgKey, body)).data;
    expect(json.some((r) => r[dimension] === null)).toBe(true);

    for (const how of [
      { query: "?format=csv" },
      { headers: { accept: "text/csv" } },
      { query: "?format=csv", headers: { accept: "application/json" } },
    ]) {
      const res = await ask(orgKey, body, how);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      const [header, ...lines] = (await res.text()).trimEnd().split("\n");
      const columns = JSON.parse(`[${header}]`) as string[];
      expect(columns).toEqual(["bucket", dimension, "service", "currency", "bookings", "averageBookingValue"]);
      // CSV's empty unquoted field is null; every text value is quoted.
      const parsed = lines.map((line) => {
        const cells = JSON.parse(`[${line.replace(/(^|,)(?=,|$)/g, "$1null")}]`) as (string | number | null)[];
        return Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
      });
      expect(parsed).toEqual(json);
    }

    for (const how of [
      { query: "?format=ndjson" },
      { headers: { accept: "application/x-ndjson" } },
      { headers: { accept: "text/html;q=0.9, application/x-ndjson" } },
    ]) {
      const res = await ask(orgKey, body, how);
      expect(res.headers.get("content-type")).toBe("application/x-ndjson");
      const lines = (await res.text()).trimEnd().split("\n");
      expect(lines.map((line) => JSON.parse(line))).toEqual(json);
    }

    const refused = await ask(orgKey, body, { headers: { accept: "application/xml" } });
    expect(refused.status).toBe(406);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("not_acceptable");
    const bad = await ask(orgKey, body, { query: "?format=xml" });
    expect(bad.status).toBe(400);
  });

  it("answers a repeated question from the cache, and If-None-Match with 304", async () => {
    const orgKey = orgKeys[1]!;
    const body = { metrics: ["inquiries"], groupBy: ["channel"], ...WIDE };
    const first = await ask(orgKey, body);
    expect(first.headers.get("x-cache")).toBe("miss");
    const firstBody = await first.text();
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    expect(first.headers.get("cache-control")).toBe("private, no-cache");
    const again = await ask(orgKey, body);
    expect(again.headers.get("x-cache")).toBe("hit");
    expect(await again.text()).toBe(firstBody);
    const held = await ask(orgKey, body, { headers: { "if-none-match": etag } });
    expect(held.status).toBe(304);
    expect(await held.text()).toBe("");
    // The same question as CSV is another answer, with another tag.
    const csv = await ask(orgKey, body, { query: "?format=csv", headers: { "if-none-match": etag } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("etag")).not.toBe(etag);
    // The copy is cached once the streamed body has been read to its end.
    const csvText = await csv.text();
    const csvAgain = await ask(orgKey, body, { query: "?format=csv" });
    expect(csvAgain.headers.get("x-cache")).toBe("hit");
    expect(await csvAgain.text()).toBe(csvText);
  });

  it("names unknown metrics, dimensions, filters and sort fields with the allowed names", async () => {
    const orgKey = orgKeys[0]!;
    const details = await problems(orgKey, {
      metrics: ["bookings", "profit"],
      groupBy: ["colour"],
      filters: { planet: "Mars" },
      orderBy: [{ field: "height" }],
      from: FROM,
      to: TO,
      extra: 1,
    });
    const at = (path: string) => details.find((d) => d.path === path)?.message ?? "";
    expect(at("metrics.1")).toContain(METRIC_NAMES.map((m) => `"${m}"`).join("|"));
    expect(at("groupBy.0")).toContain(DIMENSION_NAMES.map((m) => `"${m}"`).join("|"));
    expect(details.some((d) => d.path.startsWith("filters"))).toBe(true);
    expect(at("orderBy.0.field")).toContain('"conversionRate"');
    expect(at("$")).toContain("extra");
  });

  it("refuses a metric with a dimension its facts lack, naming the pair and what it can be grouped by", async () => {
    const orgKey = orgKeys[0]!;
    const byRegion = await problems(orgKey, { metrics: ["inquiries"], groupBy: ["region"], from: FROM, to: TO });
    expect(byRegion).toEqual([
      {
        path: "groupBy.0",
        message:
          "inquiries cannot be grouped by region; it can be grouped and filtered by: service, wedding, channel, weekday, weddingMonth",
      },
    ]);
    const filtered = await problems(orgKey, {
      metrics: ["expenses"],
      filters: { supplier: "s-1" },
      from: FROM,
      to: TO,
    });
    expect(filtered[0]).toMatchObject({
      path: "filters.supplier",
      message: expect.stringContaining("expenses cannot be filtered by supplier"),
    });
    // Money is split by currency, which inquiries do not have.
    const mixed = await problems(orgKey, { metrics: ["conversionRate", "netRevenue"], from: FROM, to: TO });
    expect(mixed[0]!.message).toContain("conversionRate cannot be asked with the money metric netRevenue");
    const sorted = await problems(orgKey, {
      metrics: ["bookings"],
      orderBy: [{ field: "refunds" }],
      from: FROM,
      to: TO,
    });
    expect(sorted[0]).toMatchObject({ path: "orderBy.0.field" });
    const typed = await problems(orgKey, {
      metrics: ["bookings"],
      filters: { weekday: "Saturday" },
      from: FROM,
      to: TO,
    });
    expect(typed[0]).toMatchObject({ path: "filters.weekday", message: "values of weekday are integers from 1 to 7" });
  });

  it("refuses integer filters outside their dimension's range with a 400 naming it", async () => {
    const orgKey = orgKeys[0]!;
    for (const weekday of [-1, { gte: -5 }, 70_000, [6, 70_000], { lte: 8 }]) {
      expect(
        await problems(orgKey, { metrics: ["bookings"], filters: { weekday }, from: FROM, to: TO }),
        JSON.stringify(weekday),
      ).toEqual([{ path: "filters.weekday", message: "values of weekday are integers from 1 to 7" }]);
    }
    expect(
      await problems(orgKey, {
        metrics: ["paymentsReceived"],
        filters: { weddingMonth: { gte: 0, lte: 70_000 } },
        from: FROM,
        to: TO,
      }),
    ).toEqual([{ path: "filters.weddingMonth", message: "values of weddingMonth are integers from 1 to 12" }]);
  });

  it("refuses dates that do not exist or run backwards, and cursors of other questions", async () => {
    const orgKey = orgKeys[0]!;
    expect((await problems(orgKey, { metrics: ["bookings"], from: "2026-02-30", to: TO })).map((d) => d.path)).toEqual([
      "from",
    ]);
    expect(
      (await problems(orgKey, { metrics: ["bookings"], from: "2026-13-01", to: "yesterday" })).map((d) => d.path),
    ).toEqual(["from", "to"]);
    expect(await problems(orgKey, { metrics: ["bookings"], from: TO, to: FROM })).toEqual([
      { path: "to", message: "must not be before from" },
    ]);

    const { meta } = await rows(orgKey, { metrics: ["bookings"], groupBy: ["wedding"], ...WIDE, limit: 2 });
    expect(meta.nextCursor).toEqual(expect.any(String));
    const cursor = meta.nextCursor as string;
    // The same question with another page size may follow it; another question may not.
    expect(
      (await rows(orgKey, { metrics: ["bookings"], groupBy: ["wedding"], ...WIDE, limit: 5, cursor })).data.length,
    ).toBe(5);
    expect(await problems(orgKey, { metrics: ["guests"], groupBy: ["wedding"], ...WIDE, cursor })).toEqual([
      { path: "cursor", message: "belongs to another question: ask the same question to get its next page" },
    ]);
    expect((await problems(orgKey, { metrics: ["bookings"], ...WIDE, cursor: "not-a-cursor" }))[0]!.message).toBe(
      "is not a cursor this API gave out",
    );
  });

  it("refuses a cursor given out before new events were processed, and pages afresh from the first page", async () => {
    // An organisation of its own, so the events posted here change no other test's answers.
    const org = await createOrganisation(app.sql, "late-pager");
    keys.set("late-pager", org.apiKey);
    const post = async (weddings: string[]) => {
      const events = weddings.map((w) => ({
        id: randomUUID(),
        type: "booking.created",
        occurredAt: "2026-02-01T10:00:00Z",
        source: "test",
        data: {
          bookingId: `bk-${w}`,
          weddingId: w,
          supplierId: "sup-1",
          service: "florist",
          weddingDate: "2026-09-05",
          guestCount: 80,
          contractValue: { amount: 1000, currency: "GBP" },
        },
      }));
      const res = await app.http.request("/v1/events", {
        method: "POST",
        headers: { authorization: `Bearer ${org.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(events),
      });
      expect(res.status).toBe(202);
      await waitUntilProcessed(app);
    };
    const body = { metrics: ["bookings"], groupBy: ["wedding"], ...WIDE, limit: 2 };
    await post(["w-b", "w-d", "w-f"]);
    const first = await rows("late-pager", body);
    expect(first.data.map((r) => r.wedding)).toEqual(["w-b", "w-d"]);
    const csv = await ask("late-pager", body, { query: "?format=csv" });
    await csv.text();
    // Weddings that sort before the first page's: a cursor does not pin the data, so its page is cut from the answer
    // as it now stands (rows 3 and 4: w-d again, and w-a is on no page of that walk); its watermark says the data
    // moved on since the first page.
    await post(["w-a", "w-c"]);
    for (const cursor of [first.meta.nextCursor as string, csv.headers.get("x-next-cursor")!]) {
      const later = await rows("late-pager", { ...body, cursor });
      expect(later.data.map((r) => r.wedding)).toEqual(["w-c", "w-d"]);
      expect(later.meta.watermark).not.toEqual(first.meta.watermark);
    }
    const walked: unknown[] = [];
    let cursor: string | undefined;
    do {
      const { data, meta } = await rows("late-pager", { ...body, ...(cursor ? { cursor } : {}) });
      walked.push(...data.map((r) => r.wedding));
      cursor = (meta.nextCursor as string | null) ?? undefined;
    } while (cursor !== undefined);
    expect(walked).toEqual(["w-a", "w-b", "w-c", "w-d", "w-f"]);
  });

  it("treats hostile strings in every value position as plain values or refuses them, leaving the store intact", async () => {
    const orgKey = orgKeys[0]!;
    const before = await eventCount();
    const hostile = [
      "'); DROP TABLE events; --",
      "' OR 1 = 1 --",
      "{orgId:String}",
      "\\' OR '1'='1",
      "\\",
      '"; SELECT * FROM system.tables; --',
      "Zürich ☃ 結婚式 \u202e",
      "x".repeat(200),
      `${"'".repeat(100)}${"\\".repeat(99)}`,
    ];
    for (const value of hostile) {
      const positions: Record<string, unknown>[] = [
        { metrics: ["bookings"], groupBy: ["region"], ...WIDE, filters: { region: value } },
        {
          metrics: ["paymentsReceived"],
          ...WIDE,
          filters: { supplier: [value, "s-none"], venue: { gte: value, lte: value } },
        },
        { metrics: ["inquiries"], ...WIDE, filters: { wedding: value, channel: [value] } },
        { metrics: ["expenses"], ...WIDE, filters: { category: value, currency: value } },
      ];
      for (const body of positions) {
        const res = await ask(orgKey, body);
        const text = await res.text();
        expect([200, 400], text).toContain(res.status);
        if (res.status === 200) {
          const { data } = JSON.parse(text) as { data: Row[] };
          const metric = (body.metrics as string[])[0]!;
          expect(data.every((r) => r[metric] === 0 || r[metric] === null)).toBe(true);
        }
      }
      for (const body of [
        { metrics: [value], ...WIDE },
        { metrics: ["bookings"], groupBy: [value], ...WIDE },
        { metrics: ["bookings"], ...WIDE, filters: { [value]: "x" } },
        { metrics: ["bookings"], ...WIDE, orderBy: [{ field: value }] },
        { metrics: ["bookings"], from: value, to: TO },
        { metrics: ["bookings"], ...WIDE, dateField: value },
        { metrics: ["bookings"], ...WIDE, interval: value },
        { metrics: ["bookings"], ...WIDE, cursor: value },
      ]) {
        expect((await ask(orgKey, body)).status).toBe(400);
      }
    }
    expect(await eventCount()).toBe(before);
    const { data } = await rows(orgKey, { metrics: ["bookings"], from: FROM, to: TO });
    expect(data).toEqual(expected(orgKey, { metrics: ["bookings"], from: FROM, to: TO }));
  });

  it("never answers with another organisation's facts, even when asked for them by id", async () => {
    const [mine, theirs] = orgKeys as [string, string];
    const { weddings, suppliers } = idsOf.get(theirs)!;
    expect(weddings.length).toBeGreaterThan(0);
    const named = await rows(mine, {
      metrics: ["bookings", "paymentsReceived"],
      groupBy: ["wedding", "supplier"],
      ...WIDE,
      filters: { wedding: weddings.slice(0, 500), supplier: suppliers.slice(0, 500) },
    });
    const own = new Set(idsOf.get(mine)!.weddings);
    expect(named.data.filter((r) => !own.has(r.wedding as string))).toEqual([]);
    const all = await rows(mine, { metrics: ["bookings"], groupBy: ["wedding"], ...WIDE, limit: 10_000 });
    for (const row of all.data) expect(own.has(row.wedding as string)).toBe(true);
  });
});
