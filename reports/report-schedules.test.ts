import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import { waitFor } from "../test/support/wait-for.ts";
import { createReportJobs, type ReportJobs } from "./report-jobs.ts";
import {
  createReportScheduler,
  previousMonth,
  validateScheduleInput,
  type ReportScheduler,
} from "./report-schedules.ts";

const logger = createLogger("silent");

describe("previousMonth", () => {
  it("is the last complete month in the schedule's time zone", () => {
    const firstOfMarchUtc = new Date("2026-03-01T00:30:00Z");
    expect(previousMonth(firstOfMarchUtc, "Europe/London")).toBe("2026-02");
    expect(previousMonth(firstOfMarchUtc, "America/New_York")).toBe("2026-01");
    expect(previousMonth(new Date("2026-01-15T12:00:00Z"), "UTC")).toBe("2025-12");
    expect(previousMonth(new Date("2025-12-31T16:00:00Z"), "Asia/Tokyo")).toBe("2025-12");
  });
});

describe("validateScheduleInput", () => {
  it("names the field of each problem", () => {
    expect(validateScheduleInput({ cron: "0 6 1 * *", timezone: "Europe/London" })).toEqual([]);
    expect(validateScheduleInput({ cron: "*/15 * * * * *", timezone: "UTC" })).toEqual([]);

    const issues = validateScheduleInput({ cron: "61 * * * *", timezone: "Mars/Olympus" });
    expect(issues.map((issue) => issue.path)).toEqual(["cron", "timezone"]);
    expect(issues[0]!.message).toContain("61 is a invalid expression for minute");
    expect(issues[1]!.message).toContain('"Mars/Olympus"');
    expect(validateScheduleInput({ cron: "every day", timezone: "" }).map((issue) => issue.path)).toEqual([
      "cron",
      "timezone",
    ]);
  });
});

describe("createReportScheduler", () => {
  let dir: TempDir;
  let sql: SqlClient;
  let jobs: ReportJobs;
  const schedulers: ReportScheduler[] = [];

  beforeEach(async () => {
    dir = await makeTempDir("wedsync-report-schedules");
    sql = await createTestPglite(path.join(dir.path, "postgres"));
    jobs = await createReportJobs({
      sql,
      reportsDir: path.join(dir.path, "reports"),
      concurrency: 1,
      render: async () => ({ buffer: Buffer.from("report"), extension: "xlsx" }),
      logger,
    });
  });

  afterEach(async () => {
    try {
      for (const scheduler of schedulers.splice(0)) scheduler.stop();
      await jobs.close();
      await sql.close();
    } finally {
      await dir.cleanup();
    }
  });

  function startScheduler(now?: () => Date): ReportScheduler {
    const scheduler = createReportScheduler({ sql, jobs, logger, ...(now === undefined ? {} : { now }) });
    schedulers.push(scheduler);
    return scheduler;
  }

  it("persists a schedule, and a scheduler started over the same database arms it again", async () => {
    const first = startScheduler();
    expect(await first.armAll()).toBe(0);
    const created = await first.create("org_a", {
      cron: "0 6 1 * *",
      timezone: "Europe/London",
      kind: "monthly",
      format: "pdf",
    });
    if (!created.ok) throw new Error("schedule rejected");
    expect(created.schedule).toMatchObject({ orgId: "org_a", cron: "0 6 1 * *", enabled: true, lastRunAt: null });
    expect(await first.list("org_a")).toEqual([created.schedule]);
    expect(await first.list("org_b")).toEqual([]);
    first.stop();

    // A "restart": a new scheduler knows nothing but the table.
    const second = startScheduler();
    expect(await second.armAll()).toBe(1);
    expect(await second.list("org_a")).toEqual([created.schedule]);
  });

  it("rejects an invalid cron expression or time zone, naming the field, and stores nothing", async () => {
    const scheduler = startScheduler();
    const result = await scheduler.create("org_a", {
      cron: "* * *",
      timezone: "Nowhere/Land",
      kind: "monthly",
      format: "pdf",
    });

    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(["cron", "timezone"]);
    expect(await scheduler.list("org_a")).toEqual([]);
  });

  it("submits the previous month's report when a schedule fires, and records when it ran", async () => {
    const clock = new Date("2026-03-01T00:30:00Z");
    const scheduler = startScheduler(() => clock);
    await scheduler.armAll();
    const created = await scheduler.create("org_a", {
      cron: "* * * * * *",
      timezone: "America/New_York",
      kind: "monthly",
      format: "xlsx",
    });
    if (!created.ok) throw new Error("schedule rejected");

    const [run] = await waitFor(
      async () => {
        const runs = await jobs.list("org_a", 10);
        return runs.length > 0 ? runs : undefined;
      },
      { timeoutMs: 10_000, message: "a scheduled run" },
    );
    scheduler.stop();

    expect(run).toMatchObject({ orgId: "org_a", month: "2026-01", format: "xlsx", scheduleId: created.schedule.id });
    const [stored] = await scheduler.list("org_a");
    expect(stored?.lastRunAt).toBe(clock.toISOString());
  });

  it("removes only the organisation's own schedule and stops firing it", async () => {
    const scheduler = startScheduler();
    await scheduler.armAll();
    const created = await scheduler.create("org_a", {
      cron: "0 6 1 * *",
      timezone: "UTC",
      kind: "monthly",
      format: "pdf",
    });
    if (!created.ok) throw new Error("schedule rejected");

    expect(await scheduler.remove("org_b", created.schedule.id)).toBe(false);
    expect(await scheduler.list("org_a")).toHaveLength(1);
    expect(await scheduler.remove("org_a", created.schedule.id)).toBe(true);
    expect(await scheduler.list("org_a")).toEqual([]);
    expect(await scheduler.armAll()).toBe(0);
  });
});
