import ExcelJS from "exceljs";
import { PDFParse } from "pdf-parse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../bin/create-app.ts";
import { expectedRevenue, type RevenueQuestion } from "../oracle/expected-revenue.ts";
import { generateWeddingData } from "../generator/generate-wedding-data.ts";
import type { GeneratedItem } from "../generator/generated-item.ts";
import { expectedAnomalies } from "../oracle/expected-anomalies.ts";
import { computeGroundTruth, type GroundTruth } from "../oracle/ground-truth.ts";
import { replayEvents } from "../oracle/replay-events.ts";
import { makeSchemaInvalid } from "../generator/mutate-events.ts";
import { ORG_PRESETS } from "../generator/org-profiles.ts";
import { Rng } from "../generator/random.ts";
import { createOrganisation } from "../platform/tenants/organisations.ts";
import type { RevenueRow } from "../query-api/revenue-query.ts";
import { formatMoney, toMajorUnits } from "../reports/format-money.ts";
import { describeOnEachStack, type ServerStack } from "./support/server-stack.ts";
import { makeTempDir, type TempDir } from "./support/temp-dir.ts";
import { startTestApp, waitUntilProcessed } from "./support/test-app.ts";
import { waitFor } from "./support/wait-for.ts";

const FROM = "2025-11-01";
const TO = "2026-10-31";

/** The tests on one stack of stores, the app in this process. */
function describePipeline(title: string, openStack: () => Promise<ServerStack>): void {
  describe(`the whole pipeline, end to end ${title}`, () => {
    let dir: TempDir;
    let app: App;
    let items: GeneratedItem[];
    let truth: GroundTruth;
    let stack: ServerStack;
    const keys = new Map<string, string>();
    /** Each request as sent: the body and the indexes of the schema-invalid items in it. */
    const requests: { orgKey: string; body: string; ndjson: boolean; invalidIndexes: number[]; size: number }[] = [];

    async function call(path: string, apiKey: string, init: RequestInit = {}) {
      const res = await app.http.request(path, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, ...init.headers },
      });
      return res;
    }

    async function revenue(orgKey: string, q: RevenueQuestion): Promise<RevenueRow[]> {
      const params = new URLSearchParams({ from: q.from, to: q.to, interval: q.interval, groupBy: q.groupBy });
      const res = await call(`/v1/analytics/revenue?${params}`, keys.get(orgKey)!);
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: RevenueRow[] }).data;
    }

    async function postAll() {
      const results = [];
      for (const request of requests) {
        const res = await call("/v1/events", keys.get(request.orgKey)!, {
          method: "POST",
          headers: { "content-type": request.ndjson ? "application/x-ndjson" : "application/json" },
          body: request.body,
        });
        results.push({
          request,
          status: res.status,
          body: (await res.json()) as { accepted: number; duplicates: number; rejected: { index: number }[] },
        });
      }
      return results;
    }

    beforeAll(async () => {
      dir = await makeTempDir("wedsync-e2e");
      stack = await openStack();
      app = await startTestApp(dir.path, stack.env);
      const data = generateWeddingData({
        seed: 42,
        organisations: [ORG_PRESETS.soloFlorist, ORG_PRESETS.tokyoStudio],
        from: FROM,
        to: TO,
        anomalyRate: 0.08,
        mismatchRate: 0.05,
        duplicateRate: 0.03,
        maxEvents: 700,
      });
      items = [...data];
      truth = computeGroundTruth(items);
      for (const orgKey of Object.keys(truth.orgs))
        keys.set(orgKey, (await createOrganisation(app.sql, orgKey)).apiKey);

      // Requests of 40 events per organisation, alternating JSON arrays and NDJSON, each with a
      // schema-invalid event slipped in at a known position.
      const rng = new Rng(7);
      for (const orgKey of keys.keys()) {
        const mine = items.filter((item) => item.orgKey === orgKey).map((item) => item.event);
        for (let start = 0; start < mine.length; start += 40) {
          const chunk: unknown[] = mine.slice(start, start + 40);
          const at = rng.int(0, chunk.length);
          chunk.splice(at, 0, makeSchemaInvalid(mine[start]!, rng).value);
          const ndjson = requests.length % 2 === 1;
          requests.push({
            orgKey,
            ndjson,
            body: ndjson ? chunk.map((e) => JSON.stringify(e)).join("\n") : JSON.stringify(chunk),
            invalidIndexes: [at],
            size: chunk.length,
          });
        }
      }
    });

    afterAll(async () => {
      await app?.close();
      await dir?.cleanup();
      await stack?.dispose();
    });

    it("accepts the valid events, names each bad one, and counts resent ids as duplicates", async () => {
      const results = await postAll();
      let accepted = 0;
      let duplicates = 0;
      for (const { request, status, body } of results) {
        expect(status).toBe(202);
        expect(body.rejected.map((r) => r.index)).toEqual(request.invalidIndexes);
        expect(body.accepted + body.duplicates + body.rejected.length).toBe(request.size);
        accepted += body.accepted;
        duplicates += body.duplicates;
      }
      const unique = Object.values(truth.orgs).reduce((n, o) => n + o.events.unique, 0);
      const resent = Object.values(truth.orgs).reduce((n, o) => n + o.exactDuplicates, 0);
      expect(resent).toBeGreaterThan(0);
      expect(accepted).toBe(unique);
      expect(duplicates).toBe(resent);
      await waitUntilProcessed(app);
    });

    it("answers revenue exactly as computed independently from the posted events, per organisation", async () => {
      for (const [orgKey, orgTruth] of Object.entries(truth.orgs)) {
        for (const question of [
          { from: FROM, to: TO, interval: "month", groupBy: "service" },
          { from: FROM, to: TO, interval: "week", groupBy: "region" },
          { from: "2026-05-01", to: "2026-06-30", interval: "day", groupBy: "none" },
        ] as RevenueQuestion[]) {
          expect(await revenue(orgKey, question)).toEqual(expectedRevenue(orgTruth, question));
        }
      }
    });

    it("answers revenue as CSV and NDJSON on request, with the same rows as JSON", async () => {
      const [orgKey, orgTruth] = Object.entries(truth.orgs)[0]!;
      const question: RevenueQuestion = { from: FROM, to: TO, interval: "month", groupBy: "region" };
      const expected = expectedRevenue(orgTruth, question);
      const params = new URLSearchParams({ ...question });
      const ndjson = await call(`/v1/analytics/revenue?${params}&format=ndjson`, keys.get(orgKey)!);
      expect(ndjson.headers.get("content-type")).toBe("application/x-ndjson");
      expect(
        (await ndjson.text())
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line)),
      ).toEqual(expected);
      const csv = await call(`/v1/analytics/revenue?${params}`, keys.get(orgKey)!, { headers: { accept: "text/csv" } });
      expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
      const [header, ...lines] = (await csv.text()).trim().split("\n");
      const FIGURES = [
        "bookings",
        "contractValue",
        "paymentsReceived",
        "refunds",
        "cancelledBookings",
        "releasedContractValue",
        "cancellationFees",
      ];
      expect(header).toBe(["bucket", "group", "currency", ...FIGURES].map((name) => `"${name}"`).join(","));
      const fromCsv = lines.map((line) => {
        const [bucket, group, currency, ...figures] = line.split(",");
        const unquote = (text: string) => (text === "" ? null : (JSON.parse(text) as string));
        return {
          bucket: unquote(bucket!),
          group: unquote(group!),
          currency: unquote(currency!),
          ...Object.fromEntries(FIGURES.map((name, i) => [name, Number(figures[i])])),
        };
      });
      expect(fromCsv).toEqual(expected);
    });

    it("dead-letters only business-id conflicts, and flags what the rules say, the injected anomalies among them", async () => {
      const replayed = replayEvents(items);
      for (const [orgKey, orgTruth] of Object.entries(truth.orgs)) {
        const orgId = (
          await app.sql.query<{ org_id: string }>(
            "SELECT org_id FROM api_keys k JOIN organisations o ON o.id = k.org_id WHERE o.name = $1",
            [orgKey],
          )
        )[0]!.org_id;
        const rs = await app.ch.query({
          query: "SELECT id FROM rejected_events FINAL WHERE org_id = {org:String}",
          query_params: { org: orgId },
          format: "JSONEachRow",
        });
        const rejectedIds = (await rs.json<{ id: string }>()).map((r) => r.id).sort();
        expect(rejectedIds).toEqual(orgTruth.rejected.map((r) => r.eventId).sort());

        const res = await call("/v1/anomalies?limit=1000", keys.get(orgKey)!);
        const flagged = (
          (await res.json()) as { data: { kind: string; subject: string; bookingId: string | null; status: string }[] }
        ).data;
        const byKindAndSubject = (a: { kind: string; subject: string }, b: { kind: string; subject: string }) =>
          a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.subject < b.subject ? -1 : 1;
        const open = flagged
          .filter((a) => a.status === "open")
          .map(({ kind, subject, bookingId }) => ({ kind, subject, bookingId }))
          .sort(byKindAndSubject);
        const expected = expectedAnomalies(replayed.get(orgKey)!, { duplicatePaymentWindowMs: 24 * 3_600_000 })
          .map(({ kind, subject, bookingId }) => ({ kind, subject, bookingId }))
          .sort(byKindAndSubject);
        expect(open).toEqual(expected);
        // Every overpayment and double charge the generator injected is among them.
        const flaggedBookings = new Set(flagged.map((a) => `${a.kind}:${a.bookingId}`));
        for (const anomaly of orgTruth.anomalies.filter(
          (a) => a.kind === "overpayment" || a.kind === "duplicate-payment",
        ))
          expect(flaggedBookings).toContain(`${anomaly.kind.replace("-", "_")}:${anomaly.bookingId}`);
      }
    });

    it("lists anomalies as CSV and NDJSON on request, with the same rows as JSON", async () => {
      const apiKey = keys.get(Object.keys(truth.orgs)[0]!)!;
      const json = (
        (await (await call("/v1/anomalies?limit=1000", apiKey)).json()) as { data: Record<string, unknown>[] }
      ).data;
      expect(json.length).toBeGreaterThan(0);
      const ndjson = await call("/v1/anomalies?limit=1000&format=ndjson", apiKey);
      expect(ndjson.headers.get("content-type")).toBe("application/x-ndjson");
      expect(
        (await ndjson.text())
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line)),
      ).toEqual(json);
      const csv = await call("/v1/anomalies?limit=1000", apiKey, { headers: { accept: "text/csv" } });
      expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
      const [header, ...lines] = (await csv.text()).trim().split("\n");
      expect(header).toBe(
        "id,kind,subject,severity,score,status,eventId,bookingId,weddingId,evidence,occurredAt,detectedAt",
      );
      expect(lines).toHaveLength(json.length);
      expect(lines.map((line) => line.split(",")[0])).toEqual(json.map((row) => row.id));
    });

    it("renders a monthly report whose every figure equals the API's", async () => {
      // The organisation and month with the most activity.
      const tally = new Map<string, number>();
      for (const [orgKey, orgTruth] of Object.entries(truth.orgs)) {
        for (const d of orgTruth.revenueDaily)
          tally.set(`${orgKey} ${d.day.slice(0, 7)}`, (tally.get(`${orgKey} ${d.day.slice(0, 7)}`) ?? 0) + 1);
      }
      const [orgKey, month] = [...tally].sort((a, b) => b[1] - a[1])[0]![0].split(" ") as [string, string];
      const apiKey = keys.get(orgKey)!;
      const lastDay = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0))
        .toISOString()
        .slice(0, 10);
      const monthly = await revenue(orgKey, { from: `${month}-01`, to: lastDay, interval: "month", groupBy: "none" });
      expect(monthly.length).toBeGreaterThan(0);

      const files: Record<string, Buffer> = {};
      for (const format of ["xlsx", "pdf"]) {
        const started = await call("/v1/reports", apiKey, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ kind: "monthly", month, format }),
        });
        expect(started.status).toBe(202);
        const { id } = (await started.json()) as { id: string };
        await waitFor(
          async () =>
            ((await (await call(`/v1/reports/${id}`, apiKey)).json()) as { status: string }).status === "succeeded",
          {
            timeoutMs: 30_000,
            message: `${format} report not done`,
          },
        );
        const file = await call(`/v1/reports/${id}/file`, apiKey);
        expect(file.status).toBe(200);
        files[format] = Buffer.from(await file.arrayBuffer());
      }

      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(files.xlsx as unknown as ArrayBuffer);
      const summary = workbook.getWorksheet("Summary")!;
      const pdf = new PDFParse({ data: new Uint8Array(files.pdf!) });
      const text = (await pdf.getText()).text;
      await pdf.destroy();
      monthly.forEach((row, i) => {
        const cells = (summary.getRow(i + 2).values as unknown[]).slice(1, 7);
        expect(cells).toEqual([
          row.currency,
          row.bookings,
          toMajorUnits(row.contractValue, row.currency),
          toMajorUnits(row.paymentsReceived, row.currency),
          toMajorUnits(row.refunds, row.currency),
          toMajorUnits(row.paymentsReceived - row.refunds, row.currency),
        ]);
        for (const amount of [row.contractValue, row.paymentsReceived, row.paymentsReceived - row.refunds]) {
          expect(text).toContain(formatMoney(amount, row.currency));
        }
      });
    });

    it("changes no figure when the same requests are posted again", async () => {
      const before = await revenue([...keys.keys()][0]!, { from: FROM, to: TO, interval: "month", groupBy: "service" });
      for (const { body, request } of await postAll()) {
        expect(body.accepted).toBe(0);
        expect(body.duplicates).toBe(request.size - request.invalidIndexes.length);
      }
      await waitUntilProcessed(app);
      expect(
        await revenue([...keys.keys()][0]!, { from: FROM, to: TO, interval: "month", groupBy: "service" }),
      ).toEqual(before);
    });

    it("names each bad revenue parameter, and only the ones that are wrong", async () => {
      const [orgKey] = [...keys.keys()];
      const ask = async (query: string) => {
        const res = await call(`/v1/analytics/revenue?${query}`, keys.get(orgKey!)!);
        expect(res.status).toBe(400);
        return ((await res.json()) as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
      };
      // A date that does not exist is named alone: no range complaint about it.
      expect(await ask("from=2026-02-30&to=2026-01-01")).toEqual(["from"]);
      expect(await ask("from=2026-03-01&to=2026-01-01")).toEqual(["to"]);
      expect(await ask("from=2026-01-01&to=2026-02-01&interval=hour&colour=red")).toEqual(["interval", "$"]);
    });

    it("answers a repeated question from the cache, and afresh once processing moves on", async () => {
      const [orgKey, otherKey] = [...keys.keys()];
      const params = new URLSearchParams({ from: FROM, to: TO, interval: "month", groupBy: "none" });
      const ask = async (headers: Record<string, string> = {}, key = orgKey!) => {
        const res = await call(`/v1/analytics/revenue?${params}`, keys.get(key)!, { headers });
        const body = await res.text();
        const data = res.status === 200 ? (JSON.parse(body) as { data: RevenueRow[] }).data : undefined;
        return { status: res.status, cache: res.headers.get("x-cache"), etag: res.headers.get("etag"), body, data };
      };
      const first = await ask();
      expect(first).toMatchObject({ status: 200, cache: "miss", etag: expect.stringMatching(/^W\/"[\w-]+"$/) });
      expect(await ask()).toMatchObject({ status: 200, cache: "hit", etag: first.etag, data: first.data });
      // The caller already holds this answer: 304 and no body.
      expect(await ask({ "if-none-match": first.etag! })).toMatchObject({ status: 304, etag: first.etag, body: "" });
      expect(await ask({ "if-none-match": `"stale", ${first.etag}` })).toMatchObject({ status: 304 });
      // Another organisation's answer to the same question carries another tag, so one tag never stands for both.
      const other = await ask({ "if-none-match": first.etag! }, otherKey!);
      expect(other.status).toBe(200);
      expect(other.etag).not.toBe(first.etag);

      // One more booking of the organisation: the next answer must include it, never the cached one.
      const booking = items.find((item) => item.orgKey === orgKey && item.event.type === "booking.created")!.event;
      const extra = { ...booking, id: crypto.randomUUID(), data: { ...booking.data, bookingId: "bk-cache-check" } };
      const res = await call("/v1/events", keys.get(orgKey!)!, {
        method: "POST",
        body: JSON.stringify(extra),
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(202);
      await waitUntilProcessed(app);
      const after = await ask({ "if-none-match": first.etag! });
      expect(after).toMatchObject({ status: 200, cache: "miss" });
      expect(after.etag).not.toBe(first.etag);
      const bookings = (rows: RevenueRow[]) => rows.reduce((sum, row) => sum + row.bookings, 0);
      expect(bookings(after.data!)).toBe(bookings(first.data!) + 1);
      truth = computeGroundTruth([...items, { orgKey: orgKey!, event: extra as GeneratedItem["event"] }]);
    });

    it("exports request counts and latency per route pattern, answer cache hits and consumer lag at /metrics", async () => {
      const [orgKey] = [...keys.keys()];
      const params = new URLSearchParams({ from: FROM, to: TO, interval: "week", groupBy: "service" });
      for (let i = 0; i < 3; i++)
        expect((await call(`/v1/analytics/revenue?${params}`, keys.get(orgKey!)!)).status).toBe(200);
      expect((await call("/v1/reports/rep_no-such-report", keys.get(orgKey!)!)).status).toBe(404);
      await waitUntilProcessed(app);

      const res = await app.http.request("/metrics");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      const text = await res.text();
      const sample = (name: string, labels: string) => {
        const line = text
          .split("\n")
          .find((l) => l.startsWith(`${name}{${labels}}`) || (labels === "" && l.startsWith(`${name} `)));
        return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
      };
      const revenueOk = sample(
        "wedsync_http_requests_total",
        'method="GET",route="/v1/analytics/revenue",status="200"',
      );
      expect(revenueOk).toBeGreaterThanOrEqual(3);
      // Routes are labelled by pattern: the id in the path never becomes a label value.
      expect(sample("wedsync_http_requests_total", 'method="GET",route="/v1/reports/:id",status="404"')).toBe(1);
      expect(text).not.toContain("rep_no-such-report");
      // Every revenue request is timed, whatever its status (the bad-parameter test's 400s too).
      const revenueAll = text
        .split("\n")
        .filter((l) => l.startsWith('wedsync_http_requests_total{method="GET",route="/v1/analytics/revenue",'))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
      expect(revenueAll).toBeGreaterThan(revenueOk!);
      expect(sample("wedsync_http_request_duration_seconds_count", 'method="GET",route="/v1/analytics/revenue"')).toBe(
        revenueAll,
      );
      expect(
        sample("wedsync_http_request_duration_seconds_bucket", 'le="+Inf",method="GET",route="/v1/analytics/revenue"'),
      ).toBe(revenueAll);
      // The process's own figures, for watching memory under load.
      expect(sample("process_resident_memory_bytes", "")).toBeGreaterThan(0);
      expect(sample("nodejs_heap_size_used_bytes", "")).toBeGreaterThan(0);
      // The same question three times at one watermark: one miss, then hits.
      expect(sample("wedsync_answer_cache_requests_total", 'result="hit"')).toBeGreaterThanOrEqual(2);
      expect(sample("wedsync_answer_cache_requests_total", 'result="miss"')).toBeGreaterThanOrEqual(1);
      expect(sample("wedsync_consumer_lag_events", "")).toBe(0);
    });

    it("finds nothing lost or doubled after a restart on the same data directory", async () => {
      await app.close();
      app = await startTestApp(dir.path, stack.env);
      await waitUntilProcessed(app);
      for (const [orgKey, orgTruth] of Object.entries(truth.orgs)) {
        const question: RevenueQuestion = { from: FROM, to: TO, interval: "month", groupBy: "none" };
        expect(await revenue(orgKey, question)).toEqual(expectedRevenue(orgTruth, question));
      }
    });
  });
}

describeOnEachStack("the pipeline test", "pipeline", describePipeline);
