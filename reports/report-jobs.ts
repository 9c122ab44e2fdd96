import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { isRetriable, WedSyncError } from "../platform/errors.ts";
import type { Logger } from "../platform/logger.ts";
import { backoffDelayMs, type Backoff } from "../platform/retry-backoff.ts";
import type { Row, SqlClient } from "../platform/sql/sql-client.ts";

/** Report kinds that can be generated. */
export const REPORT_KINDS = ["monthly"] as const;
/** File formats a report can be rendered in. */
export const REPORT_FORMATS = ["pdf", "xlsx"] as const;
/** A report file format. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** What to generate: the monthly report of a YYYY-MM month, as PDF or XLSX. */
export interface ReportRequest {
  kind: (typeof REPORT_KINDS)[number];
  month: string;
  format: ReportFormat;
  /** The schedule that asked for it, when a schedule did. */
  scheduleId?: string;
}

/** Where a run is: queued → running → succeeded | failed (a retry goes back to queued). */
export type ReportStatus = "queued" | "running" | "succeeded" | "failed";

/** One report job and its history, as stored in the `reports` table. */
export interface ReportRun {
  id: string;
  orgId: string;
  kind: ReportRequest["kind"];
  format: ReportFormat;
  month: string;
  status: ReportStatus;
  /** Renders started so far, the current one included. */
  attempts: number;
  /** Why the last attempt failed; null once the run succeeds. */
  error: string | null;
  /** `<id>.<ext>` under the organisation's report directory, once succeeded. */
  fileName: string | null;
  scheduleId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A rendered report file. */
export interface RenderedReport {
  buffer: Buffer;
  extension: ReportFormat;
}

/** Produces a report's file; injected, so the job runner knows nothing of queries or renderers. */
export type RenderReport = (orgId: string, request: ReportRequest) => Promise<RenderedReport>;

/** What the job runner needs. */
export interface ReportJobsOptions {
  sql: SqlClient;
  /** Files go to `<reportsDir>/<orgId>/<id>.<ext>`. */
  reportsDir: string;
  /** Reports rendered at once in this process. */
  concurrency: number;
  render: RenderReport;
  logger: Logger;
  /** Renders tried per run before it is marked failed. Default 3. */
  maxAttempts?: number;
  /** Longest delay before the first retry, ms; doubled for each further one, with full jitter. Default 1000. */
  retryDelayMs?: number;
}

/** Report jobs of every organisation: submitted, rendered in the background, looked up per organisation. */
export interface ReportJobs {
  /** Records a queued run and schedules it; resolves once the run is stored. */
  submit(orgId: string, request: ReportRequest): Promise<ReportRun>;
  /** The organisation's run with this id, if any. */
  get(orgId: string, id: string): Promise<ReportRun | undefined>;
  /** The organisation's latest runs, newest first. */
  list(orgId: string, limit: number): Promise<ReportRun[]>;
  /** Where the file of a succeeded run of the organisation is; undefined for any other run. */
  filePath(orgId: string, id: string): Promise<string | undefined>;
  /** Resolves once no run is queued, running or waiting for a retry in this process. */
  drain(): Promise<void>;
  /** Stops taking work and waits for running renders; queued runs stay queued for the next start. */
  close(): Promise<void>;
}

/** The longest wait before a report run's first retry, ms, unless the options say otherwise. */
const DEFAULT_RETRY_DELAY_MS = 1000;
/** The longest wait before any retry of a report run, ms. */
const MAX_RETRY_DELAY_MS = 60_000;

/** The directory of one organisation's files; the id is escaped so it can never leave reportsDir. */
function orgDirectory(reportsDir: string, orgId: string): string {
  return path.join(reportsDir, encodeURIComponent(orgId).replaceAll(".", "%2E"));
}

/** An ISO timestamp from what the SQL adapters return for timestamptz. */
function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

/** A `reports` row as a ReportRun. */
function toRun(row: Row): ReportRun {
  const params = (typeof row.params === "string" ? JSON.parse(row.params) : row.params) as { month: string };
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    kind: row.kind as ReportRun["kind"],
    format: row.format as ReportFormat,
    month: params.month,
    status: row.status as ReportStatus,
    attempts: Number(row.attempts),
    error: (row.error as string | null) ?? null,
    fileName: (row.file_name as string | null) ?? null,
    scheduleId: (row.schedule_id as string | null) ?? null,
    createdAt: isoOrNull(row.created_at) ?? "",
    startedAt: isoOrNull(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
  };
}

/**
 * Writes a file so readers see either nothing or all of it: the bytes go to a temporary name in the
 * same directory, are flushed to disk, and the file is renamed into place (atomic on one file
 * system); the directory is flushed too, so the rename survives a power cut before the run is
 * marked succeeded.
 */
async function writeFileAtomically(target: string, data: Buffer): Promise<void> {
  const directory = path.dirname(target);
  await fs.mkdir(directory, { recursive: true });
  const temporary = `${target}.${randomUUID()}.tmp`;
  try {
    const file = await fs.open(temporary, "wx");
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  const handle = await fs.open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Starts the report job runner: runs are rows of `reports`, rendered by an in-process queue of
 * bounded concurrency. Runs a previous process left queued or running (it stopped or crashed) are
 * queued again first; one that had already used every attempt is marked failed instead, so a
 * report that crashes the process cannot loop forever.
 */
export async function createReportJobs(options: ReportJobsOptions): Promise<ReportJobs> {
  const { sql, reportsDir, render, logger } = options;
  const concurrency = Math.max(1, options.concurrency);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const retryBackoff: Backoff = { firstMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, maxMs: MAX_RETRY_DELAY_MS };

  const waiting: string[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  let running = 0;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const isIdle = () => running === 0 && (closed || (waiting.length === 0 && retryTimers.size === 0));
  const notifyIfIdle = () => {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const pump = () => {
    while (!closed && running < concurrency && waiting.length > 0) {
      const id = waiting.shift()!;
      running += 1;
      runJob(id)
        .catch((error: unknown) => {
          // The store failed while recording the outcome; the row stays as it was and is picked up again on the next
          // start (a running row is re-queued then).
          logger.error({ event: "reports.job_crashed", reportId: id, err: error }, "report job could not be recorded");
        })
        .finally(() => {
          running -= 1;
          pump();
          notifyIfIdle();
        });
    }
    notifyIfIdle();
  };

  const enqueue = (id: string) => {
    waiting.push(id);
    pump();
  };

  const scheduleRetry = (id: string, attempts: number) => {
    const timer = setTimeout(
      () => {
        retryTimers.delete(timer);
        enqueue(id);
      },
      backoffDelayMs(retryBackoff, attempts),
    );
    retryTimers.add(timer);
  };

  async function runJob(id: string): Promise<void> {
    // Claiming is one conditional update, so a run is rendered once even if it was queued twice.
    const [claimed] = await sql.query(
      `UPDATE reports SET status = 'running', attempts = attempts + 1, started_at = now()
        WHERE id = $1 AND status = 'queued' RETURNING *`,
      [id],
    );
    if (claimed === undefined) return;
    const run = toRun(claimed);
    const request: ReportRequest = {
      kind: run.kind,
      month: run.month,
      format: run.format,
      ...(run.scheduleId === null ? {} : { scheduleId: run.scheduleId }),
    };
    const startedAt = Date.now();
    try {
      const rendered = await render(run.orgId, request);
      const fileName = `${run.id}.${rendered.extension}`;
      await writeFileAtomically(path.join(orgDirectory(reportsDir, run.orgId), fileName), rendered.buffer);
      // The row says succeeded only once the file is in place, so a listed file always exists.
      await sql.query(
        `UPDATE reports SET status = 'succeeded', file_name = $2, error = NULL, finished_at = now() WHERE id = $1`,
        [id, fileName],
      );
      logger.info(
        {
          event: "reports.job_succeeded",
          reportId: id,
          orgId: run.orgId,
          attempts: run.attempts,
          ms: Date.now() - startedAt,
        },
        "report rendered",
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Retry what may pass next time: anything but an error the product marked as not retriable.
      if (isRetriable(error) && run.attempts < maxAttempts) {
        await sql.query(`UPDATE reports SET status = 'queued', error = $2 WHERE id = $1`, [id, message]);
        // After close the run stays queued in the table; the next start picks it up.
        if (!closed) scheduleRetry(id, run.attempts);
        logger.warn(
          { event: "reports.job_retrying", reportId: id, orgId: run.orgId, attempts: run.attempts, err: error },
          "report render failed; will retry",
        );
      } else {
        await sql.query(`UPDATE reports SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [
          id,
          message,
        ]);
        logger.error(
          { event: "reports.job_failed", reportId: id, orgId: run.orgId, attempts: run.attempts, err: error },
          "report failed",
        );
      }
    }
  }

  // One job runner per database is assumed: a row left running belongs to a process that is gone.
  const recovered = await sql.query<{ id: string; status: string; created_at: unknown }>(
    `UPDATE reports
        SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'queued' END,
            error = CASE WHEN attempts >= $1 THEN 'interrupted by a restart after the last attempt' ELSE error END,
            finished_at = CASE WHEN attempts >= $1 THEN now() ELSE finished_at END
      WHERE status IN ('queued', 'running')
      RETURNING id, status, created_at`,
    [maxAttempts],
  );
  const requeued = recovered
    .filter((row) => row.status === "queued")
    .sort((a, b) => String(isoOrNull(a.created_at)).localeCompare(String(isoOrNull(b.created_at))));
  if (recovered.length > 0) {
    logger.info(
      { event: "reports.jobs_recovered", requeued: requeued.length, failed: recovered.length - requeued.length },
      "report jobs of a previous run recovered",
    );
  }
  for (const row of requeued) enqueue(row.id);

  return {
    async submit(orgId, request) {
      if (closed) throw new WedSyncError("reports_closed", "the report job runner is closed");
      const [row] = await sql.query(
        `INSERT INTO reports (id, org_id, kind, format, params, status, schedule_id)
         VALUES ($1, $2, $3, $4, $5::jsonb, 'queued', $6) RETURNING *`,
        [
          randomUUID(),
          orgId,
          request.kind,
          request.format,
          JSON.stringify({ month: request.month }),
          request.scheduleId ?? null,
        ],
      );
      const run = toRun(row!);
      logger.info(
        { event: "reports.job_queued", reportId: run.id, orgId, month: run.month, format: run.format },
        "report queued",
      );
      enqueue(run.id);
      return run;
    },

    async get(orgId, id) {
      const [row] = await sql.query("SELECT * FROM reports WHERE org_id = $1 AND id = $2", [orgId, id]);
      return row === undefined ? undefined : toRun(row);
    },

    async list(orgId, limit) {
      const rows = await sql.query("SELECT * FROM reports WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT $2", [
        orgId,
        limit,
      ]);
      return rows.map(toRun);
    },

    async filePath(orgId, id) {
      const [row] = await sql.query(
        "SELECT file_name FROM reports WHERE org_id = $1 AND id = $2 AND status = 'succeeded'",
        [orgId, id],
      );
      const fileName = row?.file_name;
      return typeof fileName === "string" ? path.join(orgDirectory(reportsDir, orgId), fileName) : undefined;
    },

    drain() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        notifyIfIdle();
      });
    },

    async close() {
      closed = true;
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
      waiting.length = 0;
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        notifyIfIdle();
      });
    },
  };
}
