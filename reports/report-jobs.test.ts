import fs from "node:fs/promises";
import path from "node:path";
import { PDFParse } from "pdf-parse";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WedSyncError } from "../platform/errors.ts";
import { createLogger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import { waitFor } from "../test/support/wait-for.ts";
import { renderMonthlyReportPdf } from "./render-pdf.ts";
import { createReportJobs, type RenderReport, type ReportJobs, type ReportJobsOptions } from "./report-jobs.ts";
import { sampleMonthlyReport } from "./sample-monthly-report.ts";

const logger = createLogger("silent");

/** Renders the hand-built sample report for the requested org and month, as the lead's wiring does from the stores. */
const renderSample: RenderReport = async (orgId, request) => ({
  buffer: await renderMonthlyReportPdf({ ...sampleMonthlyReport(), orgId, month: request.month }),
  extension: "pdf",
});

/** A promise with its resolve exposed, to hold a render until the test lets it go. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

let dir: TempDir;
let sql: SqlClient;
const opened: ReportJobs[] = [];

beforeEach(async () => {
  dir = await makeTempDir("wedsync-report-jobs");
  sql = await createTestPglite(path.join(dir.path, "postgres"));
});

afterEach(async () => {
  try {
    for (const jobs of opened.splice(0)) await jobs.close();
    await sql.close();
  } finally {
    await dir.cleanup();
  }
});

async function start(overrides: Partial<ReportJobsOptions> = {}): Promise<ReportJobs> {
  const jobs = await createReportJobs({
    sql,
    reportsDir: path.join(dir.path, "reports"),
    concurrency: 2,
    render: renderSample,
    logger,
    retryDelayMs: 5,
    ...overrides,
  });
  opened.push(jobs);
  return jobs;
}

describe("createReportJobs", () => {
  it("renders a submitted report into <reportsDir>/<orgId>/<id>.<ext> and records the run", async () => {
    const jobs = await start();

    const submitted = await jobs.submit("org_a", { kind: "monthly", month: "2026-05", format: "pdf" });
    expect(submitted).toMatchObject({ orgId: "org_a", month: "2026-05", format: "pdf", attempts: 0, fileName: null });
    expect(["queued", "running"]).toContain((await jobs.get("org_a", submitted.id))?.status);
    await jobs.drain();

    const run = await jobs.get("org_a", submitted.id);
    expect(run).toMatchObject({ status: "succeeded", attempts: 1, error: null, fileName: `${submitted.id}.pdf` });
    expect(Date.parse(run!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(run!.startedAt!));
    const file = await jobs.filePath("org_a", submitted.id);
    expect(file).toBe(path.join(dir.path, "reports", "org_a", `${submitted.id}.pdf`));
    const parser = new PDFParse({ data: new Uint8Array(await fs.readFile(file!)) });
    try {
      expect((await parser.getText()).text).toContain("Rosewood Weddings & Events — May 2026");
    } finally {
      await parser.destroy();
    }
    // Written under a temporary name and renamed: nothing else is left in the directory.
    expect(await fs.readdir(path.dirname(file!))).toEqual([`${submitted.id}.pdf`]);
  });

  it("never renders more reports at once than its concurrency", async () => {
    const gate = deferred();
    let active = 0;
    let peak = 0;
    const jobs = await start({
      concurrency: 2,
      render: async () => {
        active += 1;
        peak = Math.max(peak, active);
        await gate.promise;
        active -= 1;
        return { buffer: Buffer.from("x"), extension: "xlsx" };
      },
    });

    await Promise.all(
      Array.from({ length: 6 }, () => jobs.submit("org_a", { kind: "monthly", month: "2026-05", format: "xlsx" })),
    );
    const statuses = async () => (await jobs.list("org_a", 10)).map((run) => run.status).sort();
    await waitFor(async () => (await statuses()).filter((status) => status === "running").length === 2, {
      message: "two renders running",
    });
    expect(await statuses()).toEqual(["queued", "queued", "queued", "queued", "running", "running"]);
    gate.resolve();
    await jobs.drain();

    expect(peak).toBe(2);
    expect(await statuses()).toEqual(Array(6).fill("succeeded"));
    const latest = await jobs.list("org_a", 3);
    expect(latest).toHaveLength(3);
    expect(latest.map((run) => run.createdAt)).toEqual(
      latest
        .map((run) => run.createdAt)
        .sort()
        .reverse(),
    );
  });

  it("retries a failing render with backoff until it succeeds", async () => {
    let calls = 0;
    const jobs = await start({
      render: async (orgId, request) => {
        calls += 1;
        if (calls < 3) throw new Error(`renderer hiccup ${calls}`);
        return renderSample(orgId, request);
      },
    });

    const { id } = await jobs.submit("org_a", { kind: "monthly", month: "2026-05", format: "pdf" });
    await jobs.drain();

    expect(calls).toBe(3);
    expect(await jobs.get("org_a", id)).toMatchObject({ status: "succeeded", attempts: 3, error: null });
    expect(await jobs.filePath("org_a", id)).toBeDefined();
  });

  it("marks a run failed, with the last error, once its attempts are used up", async () => {
    let calls = 0;
    const jobs = await start({
      maxAttempts: 2,
      render: async () => {
        calls += 1;
        throw new Error(`renderer down ${calls}`);
      },
    });

    const { id } = await jobs.submit("org_a", { kind: "monthly", month: "2026-05", format: "pdf" });
    await jobs.drain();

    expect(await jobs.get("org_a", id)).toMatchObject({
      status: "failed",
      attempts: 2,
      error: "renderer down 2",
      fileName: null,
    });
    expect(await jobs.filePath("org_a", id)).toBeUndefined();
  });

  it("does not retry an error marked not retriable", async () => {
    let calls = 0;
    const jobs = await start({
      render: async () => {
        calls += 1;
        throw new WedSyncError("invalid_month", "no such month");
      },
    });

    const { id } = await jobs.submit("org_a", { kind: "monthly", month: "2026-05", format: "pdf" });
    await jobs.drain();

    expect(calls).toBe(1);
    expect(await jobs.get("org_a", id)).toMatchObject({ status: "failed", attempts: 1, error: "no such month" });
  });

  it("shows an organisation only its own runs and files", async () => {
    const jobs = await start();
    const mine = await jobs.submit("org_a", { kind: "monthly", month: "2026-05", format: "pdf" });
    await jobs.submit("org_b", { kind: "monthly", month: "2026-04", format: "pdf" });
    await jobs.drain();

    expect(await jobs.get("org_b", mine.id)).toBeUndefined();
    expect(await jobs.filePath("org_b", mine.id)).toBeUndefined();
    expect((await jobs.list("org_a", 10)).map((run) => run.id)).toEqual([mine.id]);
  });

  it("re-queues the runs a crashed process left queued or running, and fails those out of attempts", async () => {
    const insert = (id: string, status: string, attempts: number) =>
      sql.query(
        `INSERT INTO reports (id, org_id, kind, format, params, status, attempts)
         VALUES ($1, 'org_a', 'monthly', 'pdf', '{"month":"2026-05"}', $2, $3)`,
        [id, status, attempts],
      );
    await insert("00000000-0000-4000-8000-000000000001", "queued", 0);
    await insert("00000000-0000-4000-8000-000000000002", "running", 1);
    await insert("00000000-0000-4000-8000-000000000003", "running", 3);
    await insert("00000000-0000-4000-8000-000000000004", "succeeded", 1);

    const jobs = await start();
    await jobs.drain();

    const byId = new Map((await jobs.list("org_a", 10)).map((run) => [run.id, run]));
    expect(byId.get("00000000-0000-4000-8000-000000000001")).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(byId.get("00000000-0000-4000-8000-000000000002")).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(byId.get("00000000-0000-4000-8000-000000000003")).toMatchObject({ status: "failed", attempts: 3 });
    expect(byId.get("00000000-0000-4000-8000-000000000004")).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("on close, finishes running renders and leaves queued runs for the next start", async () => {
    const gate = deferred();
    const first = await start({
      concurrency: 1,
      render: async () => {
        await gate.promise;
        return { buffer: Buffer.from("x"), extension: "xlsx" };
      },
    });
    const running = await first.submit("org_a", { kind: "monthly", month: "2026-05", format: "xlsx" });
    const queued = await first.submit("org_a", { kind: "monthly", month: "2026-06", format: "xlsx" });

    const closing = first.close();
    gate.resolve();
    await closing;
    expect((await first.get("org_a", running.id))?.status).toBe("succeeded");
    expect((await first.get("org_a", queued.id))?.status).toBe("queued");

    const second = await start();
    await second.drain();
    expect(await second.get("org_a", queued.id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});
