import fs from "node:fs";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../platform/http/api-error.ts";
import type { AppEnv } from "../platform/http/app-env.ts";
import { createRouter, invalidRequest, type Router } from "../platform/http/create-router.ts";
import { AUTHENTICATED_ERRORS, errorResponses } from "../platform/http/openapi.ts";
import { soFarValid } from "../platform/http/so-far-valid.ts";
import type { Logger } from "../platform/logger.ts";
import { CalendarDate, Id } from "../schemas/index.ts";
import { ExportAbortedError, readEventPages, writeEventsXlsx } from "./export-events-xlsx.ts";
import { MONTH_PATTERN } from "./monthly-report.ts";
import { REPORT_FORMATS, REPORT_KINDS, type ReportFormat, type ReportJobs, type ReportRun } from "./report-jobs.ts";
import type { ReportScheduler } from "./report-schedules.ts";

const ReportBody = z.strictObject({
  kind: z.enum(REPORT_KINDS),
  month: z
    .string()
    .regex(MONTH_PATTERN, "must be a month as YYYY-MM")
    .meta({ description: "The calendar month (UTC)." }),
  format: z.enum(REPORT_FORMATS),
});

const ScheduleBody = z.strictObject({
  cron: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  timezone: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  kind: z.enum(REPORT_KINDS),
  format: z.enum(REPORT_FORMATS),
});

const ListQuery = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .meta({ description: "Most runs listed, newest first.", example: 20 }),
});

/** The longest range one events export may span, in days: a year, leap day included. */
const MAX_EXPORT_DAYS = 366;

const DAY_MS = 86_400_000;

const EventsExportQuery = z
  .strictObject({
    from: CalendarDate.meta({ description: "First UTC day, inclusive.", example: "2026-06-01" }),
    to: CalendarDate.meta({ description: "Last UTC day, inclusive.", example: "2026-06-30" }),
  })
  .refine((q) => q.from <= q.to, { message: "must not be before from", path: ["to"], ...soFarValid })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / DAY_MS < MAX_EXPORT_DAYS, {
    message: `must be less than ${MAX_EXPORT_DAYS} days after from`,
    path: ["to"],
    ...soFarValid,
  });

const CONTENT_TYPES: Record<ReportFormat, string> = {
  pdf: "application/pdf",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

const RUN_EXAMPLE = {
  id: "3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b",
  orgId: "org_Zq3xk1Lm0aBc",
  kind: "monthly",
  format: "pdf",
  month: "2026-06",
  status: "succeeded",
  attempts: 1,
  error: null,
  fileName: "3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b.pdf",
  scheduleId: null,
  createdAt: "2026-07-01T06:00:00.000Z",
  startedAt: "2026-07-01T06:00:00.120Z",
  finishedAt: "2026-07-01T06:00:00.410Z",
  links: {
    self: "/v1/reports/3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b",
    file: "/v1/reports/3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b/file",
  },
};

const SCHEDULE_EXAMPLE = {
  id: "sch_8c1e5a4d",
  orgId: "org_Zq3xk1Lm0aBc",
  cron: "0 6 1 * *",
  timezone: "Europe/London",
  kind: "monthly",
  format: "xlsx",
  enabled: true,
  createdAt: "2026-06-20T09:00:00.000Z",
  lastRunAt: null,
};

const Links = z.object({ self: z.string(), file: z.string() });
const RunSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    kind: z.enum(REPORT_KINDS),
    format: z.enum(REPORT_FORMATS),
    month: z.string(),
    status: z.enum(["queued", "running", "succeeded", "failed"]),
    attempts: z.number().int(),
    error: z.string().nullable(),
    fileName: z.string().nullable(),
    scheduleId: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    links: Links,
  })
  .meta({ id: "ReportRun" });

const ScheduleSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    cron: z.string(),
    timezone: z.string(),
    kind: z.enum(REPORT_KINDS),
    format: z.enum(REPORT_FORMATS),
    enabled: z.boolean(),
    createdAt: z.string(),
    lastRunAt: z.string().nullable(),
  })
  .meta({ id: "ReportSchedule" });

const IdParam = z.object({
  id: Id.meta({ param: { name: "id", in: "path" }, example: "3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b" }),
});

/** A JSON request or response body with its example. */
const json = <T extends z.ZodType>(schema: T, example: unknown) => ({
  content: { "application/json": { schema, example } },
});
const binaryFile = { schema: z.string().meta({ format: "binary" }), example: "(binary file)" };
const tags = ["Reports"];

const submitRoute = createRoute({
  method: "post",
  path: "/",
  tags,
  operationId: "submitReport",
  summary: "Request a report",
  description: "Queues a report run; follow `links.self` until it has succeeded, then download `links.file`.",
  request: { body: { required: true, ...json(ReportBody, { kind: "monthly", month: "2026-06", format: "pdf" }) } },
  responses: {
    202: {
      description: "Queued.",
      ...json(z.object({ id: z.string(), status: RunSchema.shape.status, links: Links }), {
        id: RUN_EXAMPLE.id,
        status: "queued",
        links: RUN_EXAMPLE.links,
      }),
    },
    ...errorResponses("invalid_request", "unsupported_media_type", ...AUTHENTICATED_ERRORS),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  operationId: "listReports",
  summary: "Report runs, newest first",
  request: { query: ListQuery },
  responses: {
    200: { description: "The runs.", ...json(z.object({ data: z.array(RunSchema) }), { data: [RUN_EXAMPLE] }) },
    ...errorResponses("invalid_request", ...AUTHENTICATED_ERRORS),
  },
});

const exportRoute = createRoute({
  method: "get",
  path: "/events.xlsx",
  tags,
  operationId: "exportEventsXlsx",
  summary: "Export events as a spreadsheet",
  description: `Every accepted event of the range, streamed as an XLSX workbook as it is written. At most ${MAX_EXPORT_DAYS} days.`,
  request: { query: EventsExportQuery },
  responses: {
    200: { description: "The workbook.", content: { [CONTENT_TYPES.xlsx]: binaryFile } },
    ...errorResponses("invalid_request", ...AUTHENTICATED_ERRORS),
  },
});

const createScheduleRoute = createRoute({
  method: "post",
  path: "/schedules",
  tags,
  operationId: "createReportSchedule",
  summary: "Schedule a report with a cron expression",
  description:
    "Runs the report for the month before each firing, in the schedule's time zone; schedules survive restarts.",
  request: {
    body: {
      required: true,
      ...json(ScheduleBody, { cron: "0 6 1 * *", timezone: "Europe/London", kind: "monthly", format: "xlsx" }),
    },
  },
  responses: {
    201: { description: "Created and armed.", ...json(ScheduleSchema, SCHEDULE_EXAMPLE) },
    ...errorResponses("invalid_request", "unsupported_media_type", ...AUTHENTICATED_ERRORS),
  },
});

const listSchedulesRoute = createRoute({
  method: "get",
  path: "/schedules",
  tags,
  operationId: "listReportSchedules",
  summary: "Report schedules",
  responses: {
    200: {
      description: "The schedules.",
      ...json(z.object({ data: z.array(ScheduleSchema) }), { data: [SCHEDULE_EXAMPLE] }),
    },
    ...errorResponses(...AUTHENTICATED_ERRORS),
  },
});

const deleteScheduleRoute = createRoute({
  method: "delete",
  path: "/schedules/{id}",
  tags,
  operationId: "deleteReportSchedule",
  summary: "Remove a report schedule",
  request: { params: IdParam },
  responses: {
    204: { description: "Removed and disarmed." },
    ...errorResponses("not_found", ...AUTHENTICATED_ERRORS),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  operationId: "getReport",
  summary: "A report run",
  request: { params: IdParam },
  responses: {
    200: { description: "The run and its links.", ...json(RunSchema, RUN_EXAMPLE) },
    ...errorResponses("not_found", ...AUTHENTICATED_ERRORS),
  },
});

const fileRoute = createRoute({
  method: "get",
  path: "/{id}/file",
  tags,
  operationId: "downloadReport",
  summary: "Download a report's file",
  request: { params: IdParam },
  responses: {
    200: {
      description: "The PDF or XLSX file.",
      content: { [CONTENT_TYPES.pdf]: binaryFile, [CONTENT_TYPES.xlsx]: binaryFile },
    },
    ...errorResponses("not_found", "not_ready", ...AUTHENTICATED_ERRORS),
  },
});

/** The path of this sub-app's root as the client called it (e.g. /v1/reports), wherever it is mounted. */
function basePath(c: Context<AppEnv>, suffix: string): string {
  const requested = c.req.path.replace(/\/+$/, "");
  return suffix === "" ? requested : requested.slice(0, -suffix.length);
}

/**
 * Reads the first item now and gives back an iterable of all of them: a store that fails at once is answered with an
 * error response while there still is one to give, rather than with a file cut short.
 */
async function startNow<T>(items: AsyncGenerator<T>): Promise<AsyncIterable<T>> {
  const first = await items.next();
  return (async function* () {
    if (first.done === true) return;
    yield first.value;
    yield* items;
  })();
}

/** A run as the API shows it, with links to itself and its file. */
function view(run: ReportRun, base: string) {
  return { ...run, links: { self: `${base}/${run.id}`, file: `${base}/${run.id}/file` } };
}

/**
 * Report routes, mounted at /v1/reports: submit and follow report runs, download their files,
 * manage cron schedules, and export events as a spreadsheet. Every lookup is scoped to the
 * caller's organisation: another organisation's id is simply not found.
 */
export function createReportRoutes({
  jobs,
  scheduler,
  ch,
  logger,
}: {
  jobs: ReportJobs;
  scheduler: ReportScheduler;
  /** Where the events export reads from. */
  ch: ClickHouseClient;
  /** Where the outcome of each events export is logged (its response may already be under way when it fails). */
  logger: Logger;
}): Router {
  const router = createRouter();
  router.openapi(submitRoute, async (c) => {
    const request = c.req.valid("json");
    const run = await jobs.submit(c.var.auth.orgId, request);
    const { links } = view(run, basePath(c, ""));
    c.header("Location", links.self);
    return c.json({ id: run.id, status: run.status, links }, 202);
  });
  router.openapi(listRoute, async (c) => {
    const { limit } = c.req.valid("query");
    const runs = await jobs.list(c.var.auth.orgId, limit);
    const base = basePath(c, "");
    return c.json({ data: runs.map((run) => view(run, base)) }, 200);
  });
  // The export and the schedules before /{id}, so "events.xlsx" or "schedules" is never taken for a report id.
  // The export: the caller's accepted events of `from`..`to` (UTC days, inclusive) as XLSX, sent as it is written.
  router.openapi(exportRoute, async (c) => {
    const { from, to } = c.req.valid("query");
    const orgId = c.var.auth.orgId;
    const pages = await startNow(readEventPages(ch, { orgId, from, to }));
    const body = new PassThrough();
    const about = { orgId, from, to };
    writeEventsXlsx(pages, body).then(
      ({ rows, sheets }) =>
        logger.info({ event: "reports.events_exported", ...about, rows, sheets }, "events exported"),
      (error: unknown) => {
        // The status line is long gone: all that is left is to cut the response short, which the client sees as a
        // failed download. A client that went away first is no failure of ours.
        if (error instanceof ExportAbortedError) {
          logger.info({ event: "reports.events_export_aborted", ...about, rows: error.rows }, "client went away");
        } else {
          logger.error({ event: "reports.events_export_failed", ...about, err: error }, "events export failed");
        }
        body.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
    c.header("Content-Type", CONTENT_TYPES.xlsx);
    c.header("Content-Disposition", `attachment; filename="wedsync-events-${from}-to-${to}.xlsx"`);
    return c.body(Readable.toWeb(body) as ReadableStream<Uint8Array>, 200);
  });
  router.openapi(createScheduleRoute, async (c) => {
    const result = await scheduler.create(c.var.auth.orgId, c.req.valid("json"));
    if (!result.ok) throw invalidRequest(result.issues);
    return c.json(result.schedule, 201);
  });
  router.openapi(listSchedulesRoute, async (c) => c.json({ data: await scheduler.list(c.var.auth.orgId) }, 200));
  router.openapi(deleteScheduleRoute, async (c) => {
    if (!(await scheduler.remove(c.var.auth.orgId, c.req.valid("param").id))) {
      throw new ApiError("not_found", "no such report schedule");
    }
    return c.body(null, 204);
  });
  router.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const run = await jobs.get(c.var.auth.orgId, id);
    if (run === undefined) throw new ApiError("not_found", "no such report");
    return c.json(view(run, basePath(c, `/${id}`)), 200);
  });
  router.openapi(fileRoute, async (c) => {
    const { id } = c.req.valid("param");
    const orgId = c.var.auth.orgId;
    const run = await jobs.get(orgId, id);
    if (run === undefined) throw new ApiError("not_found", "no such report");
    if (run.status !== "succeeded") {
      const message =
        run.status === "failed"
          ? `the report failed and has no file: ${run.error ?? "unknown error"}`
          : `the report is ${run.status}`;
      throw new ApiError("not_ready", message, { status: run.status });
    }
    const file = await jobs.filePath(orgId, id);
    const stat = file === undefined ? undefined : await fs.promises.stat(file).catch(() => undefined);
    if (file === undefined || stat === undefined)
      throw new ApiError("not_found", "the report's file is no longer available");
    const extension = path.extname(file).slice(1) as ReportFormat;
    c.header("Content-Type", CONTENT_TYPES[extension] ?? "application/octet-stream");
    c.header("Content-Length", String(stat.size));
    c.header("Content-Disposition", `attachment; filename="wedsync-${run.kind}-${run.month}-${run.id}.${extension}"`);
    return c.body(Readable.toWeb(fs.createReadStream(file)) as ReadableStream<Uint8Array>, 200);
  });
  return router;
}
