import { randomUUID } from "node:crypto";
import cron, { type ScheduledTask } from "node-cron";
import type { FieldIssue } from "../platform/http/create-router.ts";
import type { Logger } from "../platform/logger.ts";
import type { Row, SqlClient } from "../platform/sql/sql-client.ts";
import type { ReportJobs, ReportRequest } from "./report-jobs.ts";

/** What a schedule asks for: a cron expression (5 fields, or 6 with seconds) read in an IANA time zone. */
export interface ScheduleInput {
  cron: string;
  timezone: string;
  kind: ReportRequest["kind"];
  format: ReportRequest["format"];
}

/** A stored report schedule of one organisation. */
export interface Schedule extends ScheduleInput {
  id: string;
  orgId: string;
  enabled: boolean;
  createdAt: string;
  /** When it last fired, ISO 8601; null until it has. */
  lastRunAt: string | null;
}

/** A created schedule, or the fields that stop it from being created. */
export type CreateScheduleResult = { ok: true; schedule: Schedule } | { ok: false; issues: FieldIssue[] };

/** The cron schedules of report jobs, stored in `report_schedules` and armed in this process. */
export interface ReportScheduler {
  /** Validates and stores a schedule; arms it at once when this process runs schedules (after armAll). */
  create(orgId: string, input: ScheduleInput): Promise<CreateScheduleResult>;
  /** The organisation's schedules, oldest first. */
  list(orgId: string): Promise<Schedule[]>;
  /** Deletes the organisation's schedule and disarms it; false when there was none. */
  remove(orgId: string, id: string): Promise<boolean>;
  /**
   * Arms every enabled schedule of every organisation (called on start, so schedules survive
   * restarts) and from then on re-reads the table periodically, so schedules created or removed
   * by another process are followed. Resolves with the number of schedules armed.
   */
  armAll(): Promise<number>;
  /** Disarms every schedule and stops following the table. */
  stop(): void;
}

/** What the scheduler needs. */
export interface ReportSchedulerOptions {
  sql: SqlClient;
  jobs: Pick<ReportJobs, "submit">;
  logger: Logger;
  /** The clock; firings read it to choose the month and record last_run_at. Default: the system clock. */
  now?: () => Date;
  /** How often an armed scheduler re-reads the table, milliseconds; 0 never. Default 60000. */
  syncIntervalMs?: number;
}

/** The problems of a schedule's cron expression and time zone; empty when both are valid. */
export function validateScheduleInput(input: Pick<ScheduleInput, "cron" | "timezone">): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const cronErrors = cron.validateDetailed(input.cron).errors;
  if (cronErrors.length > 0) {
    const reasons = cronErrors.map((error) => error.message).join("; ");
    issues.push({
      path: "cron",
      message: `not a valid cron expression ([second] minute hour day-of-month month day-of-week): ${reasons}`,
    });
  }
  try {
    if (input.timezone.trim() === "") throw new RangeError("empty");
    new Intl.DateTimeFormat("en", { timeZone: input.timezone });
  } catch {
    issues.push({ path: "timezone", message: `not an IANA time zone such as "Europe/London": "${input.timezone}"` });
  }
  return issues;
}

/**
 * The last complete calendar month at `date` as seen in `timeZone`, YYYY-MM. At 06:00 on 1 March in
 * Europe/London it is "2026-02"; at 00:30 UTC on 1 March in America/New_York it is still February
 * there, so the month is "2026-01".
 */
export function previousMonth(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en", { timeZone, year: "numeric", month: "numeric" }).formatToParts(date);
  const year = Number(parts.find((part) => part.type === "year")?.value);
  const month = Number(parts.find((part) => part.type === "month")?.value);
  const [previousYear, previous] = month === 1 ? [year - 1, 12] : [year, month - 1];
  return `${previousYear}-${String(previous).padStart(2, "0")}`;
}

/** An ISO timestamp from what the SQL adapters return for timestamptz. */
function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

/** A `report_schedules` row as a Schedule. */
function toSchedule(row: Row): Schedule {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    kind: row.kind as Schedule["kind"],
    format: row.format as Schedule["format"],
    cron: String(row.cron),
    timezone: String(row.timezone),
    enabled: Boolean(row.enabled),
    createdAt: isoOrNull(row.created_at) ?? "",
    lastRunAt: isoOrNull(row.last_run_at),
  };
}

/**
 * Creates the report scheduler. Each firing submits the monthly report of the previous complete
 * month in the schedule's time zone (see previousMonth): a schedule "0 6 1 * *" in Europe/London
 * delivers April's report at 06:00 London time on 1 May. The report's own figures are per UTC day,
 * like every figure of the query API.
 */
export function createReportScheduler(options: ReportSchedulerOptions): ReportScheduler {
  const { sql, jobs, logger } = options;
  const now = options.now ?? (() => new Date());
  const syncIntervalMs = options.syncIntervalMs ?? 60_000;
  const tasks = new Map<string, ScheduledTask>();
  let active = false;
  let syncTimer: NodeJS.Timeout | undefined;
  let syncing: Promise<number> | undefined;

  async function fire(schedule: Schedule): Promise<void> {
    const firedAt = now();
    // Recording the firing first also tells whether the schedule still exists: another process may
    // have removed it since the last sync.
    const recorded = await sql.query(
      "UPDATE report_schedules SET last_run_at = $2 WHERE id = $1 AND enabled RETURNING id",
      [schedule.id, firedAt],
    );
    if (recorded.length === 0) {
      disarm(schedule.id);
      return;
    }
    const month = previousMonth(firedAt, schedule.timezone);
    const run = await jobs.submit(schedule.orgId, {
      kind: schedule.kind,
      month,
      format: schedule.format,
      scheduleId: schedule.id,
    });
    logger.info(
      { event: "reports.schedule_fired", scheduleId: schedule.id, orgId: schedule.orgId, month, reportId: run.id },
      "scheduled report submitted",
    );
  }

  function arm(schedule: Schedule): void {
    if (tasks.has(schedule.id)) return;
    const task = cron.schedule(
      schedule.cron,
      () =>
        fire(schedule).catch((error: unknown) => {
          logger.error(
            { event: "reports.schedule_failed", scheduleId: schedule.id, err: error },
            "scheduled report not submitted",
          );
        }),
      { timezone: schedule.timezone, name: `report-schedule-${schedule.id}`, noOverlap: true },
    );
    tasks.set(schedule.id, task);
  }

  function disarm(id: string): void {
    const task = tasks.get(id);
    if (task === undefined) return;
    tasks.delete(id);
    Promise.resolve(task.destroy()).catch((error: unknown) => {
      logger.warn(
        { event: "reports.schedule_disarm_failed", scheduleId: id, err: error },
        "schedule not disarmed cleanly",
      );
    });
  }

  /** Arms the enabled schedules not yet armed and disarms the armed ones that are gone or disabled. */
  async function sync(): Promise<number> {
    const rows = await sql.query("SELECT * FROM report_schedules WHERE enabled ORDER BY created_at, id");
    const schedules = rows.map(toSchedule);
    const enabled = new Set(schedules.map((schedule) => schedule.id));
    for (const id of [...tasks.keys()]) if (!enabled.has(id)) disarm(id);
    if (active) for (const schedule of schedules) arm(schedule);
    return tasks.size;
  }

  /** One sync at a time: the periodic one and armAll share it. */
  function syncOnce(): Promise<number> {
    syncing ??= sync().finally(() => (syncing = undefined));
    return syncing;
  }

  return {
    async create(orgId, input) {
      const issues = validateScheduleInput(input);
      if (issues.length > 0) return { ok: false, issues };
      const [row] = await sql.query(
        `INSERT INTO report_schedules (id, org_id, kind, format, cron, timezone)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [randomUUID(), orgId, input.kind, input.format, input.cron, input.timezone],
      );
      const schedule = toSchedule(row!);
      if (active) arm(schedule);
      logger.info(
        { event: "reports.schedule_created", scheduleId: schedule.id, orgId, armed: active },
        "report schedule created",
      );
      return { ok: true, schedule };
    },

    async list(orgId) {
      const rows = await sql.query("SELECT * FROM report_schedules WHERE org_id = $1 ORDER BY created_at, id", [orgId]);
      return rows.map(toSchedule);
    },

    async remove(orgId, id) {
      const rows = await sql.query("DELETE FROM report_schedules WHERE org_id = $1 AND id = $2 RETURNING id", [
        orgId,
        id,
      ]);
      if (rows.length === 0) return false;
      disarm(id);
      return true;
    },

    async armAll() {
      active = true;
      if (syncTimer === undefined && syncIntervalMs > 0) {
        syncTimer = setInterval(() => {
          syncOnce().catch((error: unknown) => {
            logger.error({ event: "reports.schedule_sync_failed", err: error }, "report schedules not re-read");
          });
        }, syncIntervalMs);
        syncTimer.unref();
      }
      return syncOnce();
    },

    stop() {
      active = false;
      clearInterval(syncTimer);
      syncTimer = undefined;
      for (const id of [...tasks.keys()]) disarm(id);
    },
  };
}
