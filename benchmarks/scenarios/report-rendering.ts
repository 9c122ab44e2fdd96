import fs from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import ExcelJS from "exceljs";
import { createClickHouse, type ClickHouseClient } from "../../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../../platform/clickhouse/migrate.ts";
import { createSqlClient } from "../../platform/sql/create-sql-client.ts";
import { migrateSql, POSTGRES_MIGRATIONS_DIR } from "../../platform/sql/migrate.ts";
import { EXPORT_PAGE_ROWS, exportEventsXlsx, MAX_SHEET_ROWS } from "../../reports/export-events-xlsx.ts";
import { loadMonthlyReport, monthRange, type MonthlyReport } from "../../reports/monthly-report.ts";
import { renderMonthlyReportPdf } from "../../reports/render-pdf.ts";
import { renderMonthlyReportXlsx } from "../../reports/render-xlsx.ts";
import { ORG_PRESETS } from "../../generator/org-profiles.ts";
import { loadGeneratedIntoClickHouse } from "./load-clickhouse.ts";
import { percentile, type Figure, type ScenarioOptions, type ScenarioResult } from "./scenario.ts";
import { parseScenarioArgs } from "./sink-cli-args.ts";
import { generateEventRows } from "./sink-event-rows.ts";

const MONTH = "2025-06";
const { from: FROM, to: TO } = monthRange(MONTH);
const ORG = ORG_PRESETS.chain;
const MiB = 2 ** 20;

// Benchmarks only: a full collection before each step, so that a step's RSS and heap do not carry the garbage of the
// one before (the generated rows above all). The harness spawns scenarios without --expose-gc, so it is set here.
v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

/**
 * Collects garbage until the RSS stops falling: V8 hands freed pages back to the system in the background, so right
 * after a collection that freed the generated rows the RSS still holds them (2.2 GiB instead of 0.9 at 1M events).
 */
async function settle(): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const rss = process.memoryUsage().rss;
    collectGarbage();
    await setTimeout(250);
    if (rss - process.memoryUsage().rss < 4 * MiB) return;
  }
}

/** The kernel's peak RSS of this process (VmHWM), in bytes; undefined where /proc does not say (not Linux). */
function kernelPeakRss(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Resets the kernel's peak-RSS mark to the current RSS (Linux ≥ 4.0); false where that is not possible. */
function resetKernelPeakRss(): boolean {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** Memory of one step, in MiB: before it (after a full collection) and at its peak. */
interface StepMemory {
  rssBefore: number;
  rssPeak: number;
  heapBefore: number;
  heapPeak: number;
}

/** How the RSS peaks were taken, for the setup. */
let rssPeakMethod = "sampled every 50 ms";

/**
 * Runs one step and watches its memory: RSS and V8 heap sampled every 50 ms (and at the end), and where the kernel
 * allows, its own peak-RSS mark reset before the step, which also sees peaks between samples while the step holds the
 * event loop (rendering a PDF does).
 */
async function watched<T>(step: () => Promise<T>): Promise<{ result: T; memory: StepMemory }> {
  await settle();
  const kernel = resetKernelPeakRss();
  if (kernel) rssPeakMethod = "kernel VmHWM, reset per step";
  const before = process.memoryUsage();
  let rssPeak = before.rss;
  let heapPeak = before.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    rssPeak = Math.max(rssPeak, now.rss);
    heapPeak = Math.max(heapPeak, now.heapUsed);
  };
  const timer = setInterval(sample, 50);
  try {
    const result = await step();
    sample();
    if (kernel) rssPeak = Math.max(rssPeak, kernelPeakRss() ?? 0);
    const memory = {
      rssBefore: before.rss / MiB,
      rssPeak: rssPeak / MiB,
      heapBefore: before.heapUsed / MiB,
      heapPeak: heapPeak / MiB,
    };
    return { result, memory };
  } finally {
    clearInterval(timer);
  }
}

/** One load-and-render of the monthly report: wall milliseconds of each part and the file's size. */
interface RenderRun {
  loadMs: number;
  renderMs: number;
  bytes: number;
}

/** Loads the month's report and renders it, `times` times, one after another. */
async function renderRuns(
  times: number,
  load: () => Promise<MonthlyReport>,
  render: (report: MonthlyReport) => Promise<Buffer>,
): Promise<RenderRun[]> {
  const runs: RenderRun[] = [];
  for (let i = 0; i < times; i++) {
    const began = performance.now();
    const report = await load();
    const loaded = performance.now();
    const file = await render(report);
    runs.push({ loadMs: loaded - began, renderMs: performance.now() - loaded, bytes: file.length });
  }
  return runs;
}

/** Accepted events of the month and the revenue figures of the raw events, counted in ClickHouse with FINAL. */
async function monthFromEvents(ch: ClickHouseClient, orgId: string) {
  const result = await ch.query({
    query: `
      SELECT
        count() AS events,
        countIf(type = 'booking.created') AS bookings,
        sumIf(amount, type = 'payment.received') AS received,
        sumIf(amount, type = 'payment.refunded') AS refunded,
        toString(max(occurred_at)) AS last
      FROM events FINAL
      WHERE org_id = {org:String} AND occurred_at >= {from:Date} AND occurred_at < {to:Date} + 1`,
    query_params: { org: orgId, from: FROM, to: TO },
    format: "JSONEachRow",
  });
  const [row] = await result.json<Record<string, string | number>>();
  return {
    events: Number(row!.events),
    bookings: Number(row!.bookings),
    received: Number(row!.received),
    refunded: Number(row!.refunded),
    last: String(row!.last),
  };
}

/** Data rows of every sheet of an XLSX file, read with exceljs's streaming reader (memory bounded too). */
async function countDataRows(file: string): Promise<number> {
  let rows = 0;
  for await (const sheet of new ExcelJS.stream.xlsx.WorkbookReader(file, {})) {
    for await (const row of sheet) if (row.number > 1) rows++;
  }
  return rows;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const label = (events: number) => (events >= 1_000_000 ? `${events / 1_000_000}M` : `${events / 1000}k`);

/**
 * Time and memory of the product's reports over one organisation-month of generated events (chain preset, June 2025,
 * 1M events; quick 20k), each step measured alone, in this order:
 * (a) the monthly report (loadMonthlyReport) rendered as PDF, and (b) as XLSX, each run a few times (p50 and max);
 * (c) the streaming XLSX export of every event of the month to a file (GET /v1/reports/events.xlsx without HTTP),
 * last because RSS hardly shrinks once grown. Per step: the process's RSS peak, its growth over the RSS before the
 * step (the embedded stores hold most of the RSS from the start) and the V8 heap peak.
 * Before any timing, the report's figures must equal those counted from the raw events, and after the export its file
 * must hold exactly the month's accepted events; a failed check fails the scenario, so no figure is reported for it.
 */
export async function run(options: ScenarioOptions & { events?: number }): Promise<ScenarioResult> {
  const target = options.events ?? (options.quick ? 20_000 : 1_000_000);
  const repetitions = options.quick ? 2 : 5;
  const dataDir = path.join(options.workDir, "reports");
  await mkdir(dataDir, { recursive: true });
  const ch = createClickHouse({ url: undefined, dataDir });
  const sql = await createSqlClient({ databaseUrl: undefined, dataDir });
  try {
    await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
    await migrateSql(sql, POSTGRES_MIGRATIONS_DIR);

    // One calendar month is a short period for the generator: nothing happens before it, so the month is a cold
    // start (mostly inquiries, first bookings and deposits). The scale is raised until the month holds the target.
    options.log(`report-rendering: generating ${target} events of ${ORG.name} in ${MONTH}`);
    let started = performance.now();
    let generated: ReturnType<typeof generateEventRows> | undefined = generateEventRows(
      { seed: 17, organisations: [ORG], from: FROM, to: TO },
      target,
    );
    const generatedRows = generated.rows.length;
    const revenueDailyRows = generated.revenueRows.length;
    if (generatedRows < target) {
      throw new Error(`the generator gave ${generatedRows} events in ${MONTH}, fewer than the ${target} asked for`);
    }
    const generateSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await loadGeneratedIntoClickHouse(ch, generated);
    const loadSeconds = (performance.now() - started) / 1000;
    generated = undefined;
    const timings = `generated in ${generateSeconds.toFixed(1)} s, loaded in ${loadSeconds.toFixed(1)} s`;
    options.log(`report-rendering: ${timings}`);

    // Generated rows carry the org key as the org id; the report's title comes from Postgres.
    const orgId = ORG.key;
    await sql.query("INSERT INTO organisations (id, name) VALUES ($1, $2)", [orgId, ORG.name]);
    const fromEvents = await monthFromEvents(ch, orgId);
    if (fromEvents.events !== generatedRows) {
      throw new Error(`ClickHouse holds ${fromEvents.events} events of ${MONTH}, ${generatedRows} were loaded`);
    }

    const load = () => loadMonthlyReport({ ch, sql }, { orgId, month: MONTH });
    const report = await load();
    const totals = report.totals.find((total) => total.currency === ORG.currency);
    const expected = {
      bookings: fromEvents.bookings,
      paymentsReceived: fromEvents.received,
      refunds: fromEvents.refunded,
    };
    const actual = { bookings: totals?.bookings, paymentsReceived: totals?.paymentsReceived, refunds: totals?.refunds };
    if (report.totals.length !== 1 || JSON.stringify(actual) !== JSON.stringify(expected)) {
      const figures = `${JSON.stringify(report.totals)} differ from the events' ${JSON.stringify(expected)}`;
      throw new Error(`the report's totals ${figures}`);
    }
    const pdf = await renderMonthlyReportPdf(report);
    if (pdf.subarray(0, 5).toString() !== "%PDF-") throw new Error("the monthly report PDF is not a PDF");
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await renderMonthlyReportXlsx(report)) as unknown as ArrayBuffer);
    if (workbook.getWorksheet("Daily revenue")?.rowCount !== report.byDay.length + 1) {
      throw new Error("the monthly report XLSX does not hold one row per day of revenue");
    }
    options.log(`report-rendering: report checked against the events; timing ${repetitions} runs of each format`);

    const figures: Figure[] = [];
    const memoryFigures = (prefix: string, memory: StepMemory) =>
      figures.push(
        { name: `${prefix}_rss_peak_mib`, value: round(memory.rssPeak, 1), unit: "MiB" },
        { name: `${prefix}_rss_growth_mib`, value: round(memory.rssPeak - memory.rssBefore, 1), unit: "MiB" },
        { name: `${prefix}_heap_peak_mib`, value: round(memory.heapPeak, 1), unit: "MiB" },
      );
    const renders = [
      ["monthly_pdf", renderMonthlyReportPdf],
      ["monthly_xlsx", renderMonthlyReportXlsx],
    ] as const;
    const before: Record<string, number> = {};
    for (const [prefix, render] of renders) {
      const { result: runs, memory } = await watched(() => renderRuns(repetitions, load, render));
      const total = runs.map((r) => r.loadMs + r.renderMs);
      figures.push(
        { name: `${prefix}_p50_ms`, value: round(percentile(total, 50)), unit: "ms" },
        { name: `${prefix}_max_ms`, value: round(Math.max(...total)), unit: "ms" },
        {
          name: `${prefix}_load_p50_ms`,
          value: round(
            percentile(
              runs.map((r) => r.loadMs),
              50,
            ),
          ),
          unit: "ms",
        },
        {
          name: `${prefix}_render_p50_ms`,
          value: round(
            percentile(
              runs.map((r) => r.renderMs),
              50,
            ),
          ),
          unit: "ms",
        },
        { name: `${prefix}_kib`, value: round(runs[0]!.bytes / 1024, 1), unit: "KiB" },
      );
      memoryFigures(prefix, memory);
      before[prefix] = memory.rssBefore;
      const p50 = percentile(total, 50).toFixed(0);
      options.log(`report-rendering: ${prefix} p50 ${p50} ms, RSS peak ${memory.rssPeak.toFixed(0)} MiB`);
    }

    options.log(`report-rendering: exporting the month's ${fromEvents.events} events as XLSX`);
    const file = path.join(dataDir, `events-${MONTH}.xlsx`);
    const { result: exported, memory } = await watched(async () => {
      const began = performance.now();
      const summary = await exportEventsXlsx(ch, { orgId, from: FROM, to: TO }, fs.createWriteStream(file));
      return { ...summary, ms: performance.now() - began };
    });
    const fileRows = await countDataRows(file);
    if (exported.rows !== fromEvents.events || fileRows !== fromEvents.events) {
      const counts = `wrote ${exported.rows} rows and its file holds ${fileRows}`;
      throw new Error(`the export ${counts}: ${fromEvents.events} expected`);
    }
    figures.push(
      { name: "export_xlsx_ms", value: round(exported.ms), unit: "ms" },
      { name: "export_xlsx_rows_per_second", value: Math.round(exported.rows / (exported.ms / 1000)), unit: "rows/s" },
      { name: "export_xlsx_mib", value: round(fs.statSync(file).size / MiB, 1), unit: "MiB" },
    );
    memoryFigures("export_xlsx", memory);
    const seconds = (exported.ms / 1000).toFixed(1);
    options.log(`report-rendering: exported in ${seconds} s, RSS peak ${memory.rssPeak.toFixed(0)} MiB`);

    return {
      scenario: `reports-${label(target)}`,
      setup: {
        events: generatedRows,
        organisation: `${ORG.name} (chain preset)`,
        period: `${FROM}..${TO}`,
        last_event_at: fromEvents.last,
        month_bookings: fromEvents.bookings,
        revenue_daily_rows: revenueDailyRows,
        report_daily_rows: report.byDay.length,
        repetitions,
        export_rows: exported.rows,
        export_sheets: exported.sheets,
        export_page_rows: EXPORT_PAGE_ROWS,
        export_sheet_rows_max: MAX_SHEET_ROWS,
        clickhouse: "chDB (embedded)",
        postgres: "PGlite (embedded)",
        rss_peak: rssPeakMethod,
        rss_before_pdf_mib: round(before.monthly_pdf!, 1),
        rss_before_xlsx_mib: round(before.monthly_xlsx!, 1),
        rss_before_export_mib: round(memory.rssBefore, 1),
        generate_s: round(generateSeconds, 1),
        clickhouse_load_s: round(loadSeconds, 1),
      },
      figures,
    };
  } finally {
    await sql.close();
    await ch.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseScenarioArgs(process.argv.slice(2));
  const events = args.events ?? (process.env.BENCH_EVENTS === undefined ? undefined : Number(process.env.BENCH_EVENTS));
  const result = await run({
    quick: args.quick,
    workDir: args.workDir,
    log: (line) => console.error(line),
    ...(events === undefined ? {} : { events }),
  });
  console.log(JSON.stringify(result));
}
