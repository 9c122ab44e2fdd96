import fs from "node:fs";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { soFarValid } from "../platform/http/so-far-valid.ts";
import { ApiError } from "../platform/http/api-error.ts";
import type { AppEnv } from "../platform/http/app-env.ts";
import type { Logger } from "../platform/logger.ts";
import { CalendarDate } from "../schemas/index.ts";
import { ExportAbortedError, readEventPages, writeEventsXlsx } from "./export-events-xlsx.ts";
import { MONTH_PATTERN } from "./monthly-report.ts";
import { REPORT_FORMATS, REPORT_KINDS, type ReportFormat, type ReportJobs, type ReportRun } from "./report-jobs.ts";
import type { FieldIssue, ReportScheduler } from "./report-schedules.ts";

const ReportBody = z.strictObject({
  kind: z.enum(REPORT_KINDS),
  month: z.string().regex(MONTH_PATTERN, "must be a month as YYYY-MM"),
  format: z.enum(REPORT_FORMATS),
});

const ScheduleBody = z.strictObject({
  cron: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  timezone: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  kind: z.enum(REPORT_KINDS),
  format: z.enum(REPORT_FORMATS),
});

const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** The longest range one events export may span, in days: a year, leap day included. */
export const MAX_EXPORT_DAYS = 366;

const DAY_MS = 86_400_000;

const EventsExportQuery = z
  .strictObject({ from: CalendarDate, to: CalendarDate })
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

/** A 400 naming every problem, in the API's one details shape: `[{ path, message }]`. */
function invalidRequest(details: FieldIssue[]): ApiError {
  return new ApiError("invalid_request", details.map((d) => `${d.path}: ${d.message}`).join("; "), details);
}

/** Validates input against schema, or throws a 400 naming every bad field. */
function validate<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw invalidRequest(
    parsed.error.issues.map((issue) => ({
      path: issue.path.length === 0 ? "$" : issue.path.map(String).join("."),
      message: issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message,
    })),
  );
}

/** The request's JSON body, or a 400 when it is not JSON. */
async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ApiError("invalid_request", "the body is not valid JSON", [{ path: "$", message: "not valid JSON" }]);
  }
}

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
}): Hono<AppEnv> {
  return (
    new Hono<AppEnv>()
      .post("/", async (c) => {
        const request = validate(ReportBody, await jsonBody(c));
        const run = await jobs.submit(c.var.auth.orgId, request);
        const { links } = view(run, basePath(c, ""));
        c.header("Location", links.self);
        return c.json({ id: run.id, status: run.status, links }, 202);
      })
      .get("/", async (c) => {
        const { limit } = validate(ListQuery, c.req.query());
        const runs = await jobs.list(c.var.auth.orgId, limit);
        const base = basePath(c, "");
        return c.json({ data: runs.map((run) => view(run, base)) });
      })
      // The export and the schedules before /:id, so "events.xlsx" or "schedules" is never taken for a report id.
      // The export: the caller's accepted events of `from`..`to` (UTC days, inclusive) as XLSX, sent as it is written.
      .get("/events.xlsx", async (c) => {
        const { from, to } = validate(EventsExportQuery, c.req.query());
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
      })
      .post("/schedules", async (c) => {
        const input = validate(ScheduleBody, await jsonBody(c));
        const result = await scheduler.create(c.var.auth.orgId, input);
        if (!result.ok) throw invalidRequest(result.issues);
        return c.json(result.schedule, 201);
      })
      .get("/schedules", async (c) => c.json({ data: await scheduler.list(c.var.auth.orgId) }))
      .delete("/schedules/:id", async (c) => {
        if (!(await scheduler.remove(c.var.auth.orgId, c.req.param("id")))) {
          throw new ApiError("not_found", "no such report schedule");
        }
        return c.body(null, 204);
      })
      .get("/:id", async (c) => {
        const id = c.req.param("id");
        const run = await jobs.get(c.var.auth.orgId, id);
        if (run === undefined) throw new ApiError("not_found", "no such report");
        return c.json(view(run, basePath(c, `/${id}`)));
      })
      .get("/:id/file", async (c) => {
        const id = c.req.param("id");
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
        c.header(
          "Content-Disposition",
          `attachment; filename="wedsync-${run.kind}-${run.month}-${run.id}.${extension}"`,
        );
        return c.body(Readable.toWeb(fs.createReadStream(file)) as ReadableStream<Uint8Array>, 200);
      })
  );
}
