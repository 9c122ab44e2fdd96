import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import ExcelJS from "exceljs";
import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClickHouse, type ClickHouseClient } from "../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../platform/clickhouse/migrate.ts";
import type { AppEnv } from "../platform/http/app-env.ts";
import { createErrorHandler } from "../platform/http/create-http-app.ts";
import { createLogger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import { renderMonthlyReportPdf } from "./render-pdf.ts";
import { renderMonthlyReportXlsx } from "./render-xlsx.ts";
import { createReportJobs, type RenderReport, type ReportJobs } from "./report-jobs.ts";
import { createReportRoutes } from "./report-routes.ts";
import { createReportScheduler, type ReportScheduler } from "./report-schedules.ts";
import { sampleMonthlyReport } from "./sample-monthly-report.ts";

const logger = createLogger("silent");

/** Renders the hand-built sample report in the requested format, unless the test holds renders back. */
let hold: Promise<void> | undefined;
const render: RenderReport = async (orgId, request) => {
  await hold;
  const report = { ...sampleMonthlyReport(), orgId, month: request.month };
  return request.format === "pdf"
    ? { buffer: await renderMonthlyReportPdf(report), extension: "pdf" }
    : { buffer: await renderMonthlyReportXlsx(report), extension: "xlsx" };
};

// One chDB per test process (it binds one directory), shared by the tests; each test has its own Postgres.
let chDir: TempDir;
let ch: ClickHouseClient;

beforeAll(async () => {
  chDir = await makeTempDir("wedsync-report-routes-ch");
  ch = createClickHouse({ url: undefined, dataDir: chDir.path });
  await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
});

afterAll(async () => {
  try {
    await ch?.close();
  } finally {
    await chDir?.cleanup();
  }
});

let dir: TempDir;
let sql: SqlClient;
let jobs: ReportJobs;
let scheduler: ReportScheduler;
let app: Hono<AppEnv>;

beforeEach(async () => {
  hold = undefined;
  dir = await makeTempDir("wedsync-report-routes");
  sql = await createTestPglite(path.join(dir.path, "postgres"));
  jobs = await createReportJobs({ sql, reportsDir: path.join(dir.path, "reports"), concurrency: 2, render, logger });
  scheduler = createReportScheduler({ sql, jobs, logger });
  // The product's app in miniature: auth sets the caller's organisation, errors render as the product renders them.
  app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("auth", {
      orgId: c.req.header("x-test-org") ?? "org_a",
      keyId: "key_test",
      scopes: ["reports"],
      tier: "professional",
    });
    await next();
  });
  app.route("/v1/reports", createReportRoutes({ jobs, scheduler, ch, logger }));
  app.onError(createErrorHandler(logger));
});

afterEach(async () => {
  try {
    scheduler.stop();
    await jobs.close();
    await sql.close();
  } finally {
    await dir.cleanup();
  }
});

function call(method: string, url: string, options: { body?: unknown; org?: string; raw?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.org !== undefined) headers["x-test-org"] = options.org;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return app.request(url, { method, headers, ...(body === undefined ? {} : { body }) });
}

async function submit(body: unknown = { kind: "monthly", month: "2026-05", format: "pdf" }, org?: string) {
  const response = await call("POST", "/v1/reports", { body, ...(org === undefined ? {} : { org }) });
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string; status: string; links: { self: string; file: string } };
}

describe("report routes", () => {
  it("accepts a report request, reports its progress and serves the PDF", async () => {
    const accepted = await submit();
    expect(accepted).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "queued",
      links: { self: `/v1/reports/${accepted.id}`, file: `/v1/reports/${accepted.id}/file` },
    });
    await jobs.drain();

    const status = await call("GET", accepted.links.self);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      id: accepted.id,
      status: "succeeded",
      month: "2026-05",
      format: "pdf",
      attempts: 1,
    });

    const file = await call("GET", accepted.links.file);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("application/pdf");
    expect(file.headers.get("content-disposition")).toBe(
      `attachment; filename="wedsync-monthly-2026-05-${accepted.id}.pdf"`,
    );
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    expect(file.headers.get("content-length")).toBe(String(bytes.length));
    expect(bytes.equals(await fs.readFile((await jobs.filePath("org_a", accepted.id))!))).toBe(true);
  });

  it("serves an XLSX report as a spreadsheet", async () => {
    const accepted = await submit({ kind: "monthly", month: "2026-05", format: "xlsx" });
    await jobs.drain();

    const file = await call("GET", accepted.links.file);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(file.headers.get("content-disposition")).toContain(`.xlsx"`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await file.arrayBuffer());
    expect(workbook.getWorksheet("Summary")).toBeDefined();
  });

  it("rejects an invalid request with a 400 naming every field", async () => {
    const response = await call("POST", "/v1/reports", {
      body: { kind: "weekly", month: "2026-13", format: "doc", extra: 1 },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.details.map((detail) => detail.path).sort()).toEqual(["$", "format", "kind", "month"]);

    const notJson = await call("POST", "/v1/reports", { raw: "{not json" });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({
      error: { code: "invalid_request", message: expect.stringMatching(/JSON/) },
    });
    expect(await jobs.list("org_a", 10)).toEqual([]);
  });

  it("answers 409 not_ready for the file of a report still queued or running", async () => {
    let release = () => {};
    hold = new Promise<void>((resolve) => (release = resolve));
    const accepted = await submit();

    const early = await call("GET", accepted.links.file);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: "not_ready" } });

    release();
    await jobs.drain();
    expect((await call("GET", accepted.links.file)).status).toBe(200);
  });

  it("keeps each organisation's reports to itself", async () => {
    const mine = await submit(undefined, "org_a");
    const theirs = await submit(undefined, "org_b");
    await jobs.drain();

    expect((await call("GET", `/v1/reports/${theirs.id}`, { org: "org_a" })).status).toBe(404);
    const file = await call("GET", `/v1/reports/${theirs.id}/file`, { org: "org_a" });
    expect(file.status).toBe(404);
    expect(await file.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await call("GET", "/v1/reports/00000000-0000-4000-8000-000000000000/file")).status).toBe(404);

    const list = (await (await call("GET", "/v1/reports", { org: "org_a" })).json()) as { data: { id: string }[] };
    expect(list.data.map((run) => run.id)).toEqual([mine.id]);
    expect((await call("GET", "/v1/reports?limit=0")).status).toBe(400);
  });

  it("creates, lists and deletes schedules, naming invalid fields", async () => {
    const created = await call("POST", "/v1/reports/schedules", {
      body: { cron: "0 6 1 * *", timezone: "Europe/London", kind: "monthly", format: "xlsx" },
    });
    expect(created.status).toBe(201);
    const schedule = (await created.json()) as { id: string };
    expect(schedule).toMatchObject({ orgId: "org_a", cron: "0 6 1 * *", timezone: "Europe/London", enabled: true });

    const listed = (await (await call("GET", "/v1/reports/schedules")).json()) as { data: { id: string }[] };
    expect(listed.data.map((item) => item.id)).toEqual([schedule.id]);
    const otherList = (await (await call("GET", "/v1/reports/schedules", { org: "org_b" })).json()) as {
      data: unknown[];
    };
    expect(otherList.data).toEqual([]);

    const invalid = await call("POST", "/v1/reports/schedules", {
      body: { cron: "0 25 * * *", timezone: "Atlantis/Capital", kind: "monthly", format: "pdf" },
    });
    expect(invalid.status).toBe(400);
    const problem = (await invalid.json()) as { error: { code: string; details: { path: string; message: string }[] } };
    expect(problem.error.code).toBe("invalid_request");
    expect(problem.error.details.map((detail) => detail.path)).toEqual(["cron", "timezone"]);
    const missing = (await (await call("POST", "/v1/reports/schedules", { body: { kind: "monthly" } })).json()) as {
      error: { details: { path: string }[] };
    };
    expect(missing.error.details.map((detail) => detail.path).sort()).toEqual(["cron", "format", "timezone"]);

    expect((await call("DELETE", `/v1/reports/schedules/${schedule.id}`, { org: "org_b" })).status).toBe(404);
    expect((await call("DELETE", `/v1/reports/schedules/${schedule.id}`)).status).toBe(204);
    expect((await call("DELETE", `/v1/reports/schedules/${schedule.id}`)).status).toBe(404);
  });
});

describe("events export route", () => {
  /** Inserts `count` events of an organisation, one an hour from the given instant. */
  async function insertEvents(org: string, count: number, from: string): Promise<string[]> {
    const start = Date.parse(from);
    const values = Array.from({ length: count }, (_, i) => {
      const at = new Date(start + i * 3_600_000).toISOString().replace("T", " ").replace("Z", "");
      return {
        org_id: org,
        id: randomUUID(),
        type: "payment.received",
        occurred_at: at,
        received_at: at,
        booking_id: `bk-${i}`,
        amount: 10_000 + i,
        currency: "GBP",
      };
    });
    await ch.insert({ table: "events", format: "JSONEachRow", values });
    return values.map((value) => value.id);
  }

  it("streams the caller's events of the range as a workbook", async () => {
    const mine = await insertEvents("org_export", 250, "2026-03-01T00:00:00Z");
    const theirs = await insertEvents("org_other", 20, "2026-03-01T00:00:00Z");

    const response = await call("GET", "/v1/reports/events.xlsx?from=2026-03-01&to=2026-03-31", { org: "org_export" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="wedsync-events-2026-03-01-to-2026-03-31.xlsx"',
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.getWorksheet("Events")!;
    const ids: string[] = [];
    sheet.eachRow((row, number) => {
      if (number > 1) ids.push(String(row.getCell(11).value));
    });
    // One an hour, so time order is insertion order.
    expect(ids).toEqual(mine);
    expect(ids.some((id) => theirs.includes(id))).toBe(false);
    expect(sheet.getRow(2).getCell(9).value).toBe(100);
  });

  it("answers 400 naming the parameter for a missing, invalid or reversed range", async () => {
    const problems = async (query: string) => {
      const response = await call("GET", `/v1/reports/events.xlsx${query}`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; details: { path: string; message: string }[] } };
      expect(body.error.code).toBe("invalid_request");
      return body.error.details;
    };
    expect((await problems("?to=2026-03-31")).map((d) => d.path)).toEqual(["from"]);
    expect((await problems("")).map((d) => d.path).sort()).toEqual(["from", "to"]);
    expect((await problems("?from=2026-02-30&to=2026-03-31")).map((d) => d.path)).toEqual(["from"]);
    expect((await problems("?from=2026-03-01&to=31/03/2026")).map((d) => d.path)).toEqual(["to"]);
    expect(await problems("?from=2026-03-31&to=2026-03-01")).toEqual([
      { path: "to", message: "must not be before from" },
    ]);
    expect(await problems("?from=2025-01-01&to=2026-01-02")).toEqual([
      { path: "to", message: "must be less than 366 days after from" },
    ]);
    expect((await problems("?from=2026-03-01&to=2026-03-31&org=org_b")).map((d) => d.path)).toEqual(["$"]);
    // A leap year's whole span is allowed.
    expect((await call("GET", "/v1/reports/events.xlsx?from=2028-01-01&to=2028-12-31")).status).toBe(200);
  });
});
