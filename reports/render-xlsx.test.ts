import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { spreadsheetMoneyFormat, toMajorUnits } from "./format-money.ts";
import type { MonthlyReport } from "./monthly-report.ts";
import { renderMonthlyReportXlsx } from "./render-xlsx.ts";
import { emptyMonthlyReport, sampleMonthlyReport } from "./sample-monthly-report.ts";

async function readWorkbook(buffer: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  return workbook;
}

function sheet(workbook: ExcelJS.Workbook, name: string): ExcelJS.Worksheet {
  const found = workbook.getWorksheet(name);
  if (found === undefined) throw new Error(`no sheet ${name}`);
  return found;
}

/** Row `index` (1-based) of a sheet as plain cell values. */
function values(worksheet: ExcelJS.Worksheet, index: number): unknown[] {
  return (worksheet.getRow(index).values as unknown[]).slice(1);
}

/** The money figures of a report row in major units, in sheet column order. */
function expectedFigures(row: Omit<MonthlyReport["byDay"][number], "bucket" | "group">): number[] {
  return [
    row.bookings,
    toMajorUnits(row.contractValue, row.currency),
    toMajorUnits(row.paymentsReceived, row.currency),
    toMajorUnits(row.refunds, row.currency),
    toMajorUnits(row.paymentsReceived - row.refunds, row.currency),
    row.cancelledBookings,
    toMajorUnits(row.releasedContractValue, row.currency),
    toMajorUnits(row.cancellationFees, row.currency),
  ];
}

const FIGURE_HEADERS = [
  "Bookings",
  "Contract value",
  "Payments received",
  "Refunds",
  "Net",
  "Cancelled bookings",
  "Released contract value",
  "Cancellation fees",
];

describe("renderMonthlyReportXlsx", () => {
  it("has one sheet per section, each with a frozen, filterable header", async () => {
    const workbook = await readWorkbook(await renderMonthlyReportXlsx(sampleMonthlyReport()));

    expect(workbook.worksheets.map((worksheet) => worksheet.name)).toEqual([
      "Summary",
      "Daily revenue",
      "By service",
      "Anomalies",
    ]);
    for (const worksheet of workbook.worksheets) {
      expect(worksheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
      expect(worksheet.autoFilter).toBeDefined();
      expect(worksheet.getRow(1).font?.bold).toBe(true);
      expect(worksheet.columns.every((column) => (column.width ?? 0) >= 10)).toBe(true);
    }
    expect(values(sheet(workbook, "Summary"), 1)).toEqual(["Currency", ...FIGURE_HEADERS]);
    expect(values(sheet(workbook, "Daily revenue"), 1)).toEqual(["Date", "Currency", ...FIGURE_HEADERS]);
    expect(values(sheet(workbook, "By service"), 1)).toEqual(["Service", "Currency", ...FIGURE_HEADERS]);
    expect(values(sheet(workbook, "Anomalies"), 1)).toEqual(["Kind", "Severity", "Count"]);
  });

  it("puts every KPI in the summary as major-unit numbers in the currency's format", async () => {
    const report = sampleMonthlyReport();
    const summary = sheet(await readWorkbook(await renderMonthlyReportXlsx(report)), "Summary");

    report.totals.forEach((total, index) => {
      const row = summary.getRow(index + 2);
      expect(values(summary, index + 2)).toEqual([total.currency, ...expectedFigures(total)]);
      for (const column of [3, 4, 5, 6, 8, 9])
        expect(row.getCell(column).numFmt).toBe(spreadsheetMoneyFormat(total.currency));
      expect(row.getCell(7).numFmt).toBe("#,##0");
    });
    /** The summary row of a currency: the totals are in currency order, after the header. */
    const rowOf = (currency: string) => report.totals.findIndex((total) => total.currency === currency) + 2;
    const gbp = report.totals.find((total) => total.currency === "GBP")!;
    expect(summary.getRow(rowOf("GBP")).getCell(4).value).toBe(gbp.paymentsReceived / 100);
    expect(summary.getRow(rowOf("GBP")).getCell(4).numFmt).toBe('"£"#,##0.00');
    expect(summary.getRow(rowOf("GBP")).getCell(8).value).toBe(gbp.releasedContractValue / 100);
    const jpy = report.totals.find((total) => total.currency === "JPY")!;
    expect(summary.getRow(rowOf("JPY")).getCell(4).value).toBe(jpy.paymentsReceived);
    expect(summary.getRow(rowOf("JPY")).getCell(4).numFmt).toBe('"JP¥"#,##0');
    const eur = report.totals.find((total) => total.currency === "EUR")!;
    expect(summary.getRow(rowOf("EUR")).getCell(9).value).toBe(eur.cancellationFees / 100);

    const about = new Map<unknown, unknown>();
    summary.eachRow((row, index) => {
      if (index > report.totals.length + 1) about.set(row.getCell(1).value, row.getCell(2).value);
    });
    expect(about.get("Organisation")).toBe(report.orgName);
    expect(about.get("Month")).toBe("2026-05");
    expect(about.get("Generated at")).toBe(report.generatedAt);
  });

  it("lists every day, service and anomaly with figures equal to the report's", async () => {
    const report = sampleMonthlyReport();
    const workbook = await readWorkbook(await renderMonthlyReportXlsx(report));

    const daily = sheet(workbook, "Daily revenue");
    expect(daily.rowCount).toBe(report.byDay.length + 1);
    report.byDay.forEach((day, index) => {
      const row = values(daily, index + 2);
      expect(row[0]).toEqual(new Date(`${day.bucket}T00:00:00.000Z`));
      expect(row.slice(1)).toEqual([day.currency, ...expectedFigures(day)]);
      expect(daily.getRow(index + 2).getCell(5).numFmt).toBe(spreadsheetMoneyFormat(day.currency));
    });

    const byService = sheet(workbook, "By service");
    expect(byService.rowCount).toBe(report.byService.length + 1);
    report.byService.forEach((service, index) => {
      expect(values(byService, index + 2)).toEqual([service.group, service.currency, ...expectedFigures(service)]);
    });

    const anomalies = sheet(workbook, "Anomalies");
    report.anomalies.forEach((anomaly, index) => {
      expect(values(anomalies, index + 2)).toEqual([anomaly.kind, anomaly.severity, anomaly.count]);
    });
  });

  it("says so when the month had no activity", async () => {
    const workbook = await readWorkbook(await renderMonthlyReportXlsx(emptyMonthlyReport()));

    const summary = sheet(workbook, "Summary");
    const texts: unknown[] = [];
    summary.eachRow((row) => texts.push(row.getCell(2).value));
    expect(texts).toContain("No activity recorded in this month: no bookings, payments, refunds or anomalies.");
    for (const name of ["Daily revenue", "By service", "Anomalies"]) expect(sheet(workbook, name).rowCount).toBe(1);
  });
});
