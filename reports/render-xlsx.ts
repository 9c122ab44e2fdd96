import ExcelJS from "exceljs";
import type { RevenueAnswerRow } from "../query-api/revenue-query.ts";
import { spreadsheetMoneyFormat, toMajorUnits } from "./format-money.ts";
import type { MonthlyReport } from "./monthly-report.ts";

/** A column of a report sheet: its header, width in characters and, for money, that it holds money. */
interface SheetColumn {
  header: string;
  width: number;
  money?: boolean;
  numFmt?: string;
}

const MONEY_COLUMNS: SheetColumn[] = [
  { header: "Bookings", width: 11, numFmt: "#,##0" },
  { header: "Contract value", width: 18, money: true },
  { header: "Payments received", width: 20, money: true },
  { header: "Refunds", width: 16, money: true },
  { header: "Net", width: 18, money: true },
  { header: "Cancelled bookings", width: 20, numFmt: "#,##0" },
  { header: "Released contract value", width: 24, money: true },
  { header: "Cancellation fees", width: 20, money: true },
];

/**
 * Bookings, contract value, payments, refunds, net, cancelled bookings, released contract value and cancellation fees
 * of one row; money in major units.
 */
function figures(row: Omit<RevenueAnswerRow, "bucket" | "group">): number[] {
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

/**
 * Adds a sheet holding one table: a bold header in row 1, frozen and filterable, then one row per
 * entry. Money cells get the number format of the row's currency, which the row's `Currency`
 * column names, so a sheet can mix currencies without any cell being misread.
 */
function addTableSheet(
  workbook: ExcelJS.Workbook,
  name: string,
  columns: readonly SheetColumn[],
  rows: readonly { currency?: string; cells: (string | number | Date)[] }[],
): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({
    header: column.header,
    width: column.width,
    ...(column.numFmt === undefined ? {} : { style: { numFmt: column.numFmt } }),
  }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFE4E7EB" } };
  for (const entry of rows) {
    const row = sheet.addRow(entry.cells);
    columns.forEach((column, index) => {
      if (column.money === true && entry.currency !== undefined) {
        row.getCell(index + 1).numFmt = spreadsheetMoneyFormat(entry.currency);
      }
    });
  }
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return sheet;
}

/** A YYYY-MM-DD calendar day as the Date of its UTC midnight, which spreadsheets show as that day. */
function utcDay(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

/**
 * Renders the monthly report as an XLSX workbook with one sheet per section: Summary (per
 * currency, then the report's organisation, month and generation time), Daily revenue (one row
 * per UTC day with activity and currency), By service and Anomalies. Revenue rows carry the
 * cancellation figures beside the others. Money cells are numbers in major units with the
 * currency's own number format, beside a Currency column.
 */
export async function renderMonthlyReportXlsx(report: MonthlyReport): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const generatedAt = new Date(report.generatedAt);
  workbook.creator = "WedSync Analytics";
  workbook.title = `Monthly business report — ${report.orgName} — ${report.month}`;
  workbook.created = generatedAt;
  workbook.modified = generatedAt;

  const summary = addTableSheet(
    workbook,
    "Summary",
    [{ header: "Currency", width: 12 }, ...MONEY_COLUMNS],
    report.totals.map((total) => ({ currency: total.currency, cells: [total.currency, ...figures(total)] })),
  );
  summary.addRow([]);
  const about: [string, string][] = [
    ["Organisation", report.orgName],
    ["Organisation id", report.orgId],
    ["Month", report.month],
    ["Days", "UTC calendar days"],
    [
      "Cancellations",
      "Counted on the day of a booking's earliest cancellation: its current contract value is released (in the contract's currency), its fee is in the fee's currency. Cancelled bookings stay in Bookings and Contract value on the day they were created.",
    ],
    ["Generated at", report.generatedAt],
  ];
  if (report.byDay.length === 0 && report.anomalies.length === 0) {
    about.push(["Activity", "No activity recorded in this month: no bookings, payments, refunds or anomalies."]);
  }
  for (const [label, value] of about) summary.addRow([label, value]).getCell(1).font = { bold: true };

  addTableSheet(
    workbook,
    "Daily revenue",
    [{ header: "Date", width: 12, numFmt: "yyyy-mm-dd" }, { header: "Currency", width: 10 }, ...MONEY_COLUMNS],
    report.byDay.map((row) => ({ currency: row.currency, cells: [utcDay(row.bucket), row.currency, ...figures(row)] })),
  );
  addTableSheet(
    workbook,
    "By service",
    [{ header: "Service", width: 16 }, { header: "Currency", width: 10 }, ...MONEY_COLUMNS],
    report.byService.map((row) => ({
      currency: row.currency,
      cells: [row.group ?? "unspecified", row.currency, ...figures(row)],
    })),
  );
  addTableSheet(
    workbook,
    "Anomalies",
    [
      { header: "Kind", width: 26 },
      { header: "Severity", width: 12 },
      { header: "Count", width: 10, numFmt: "#,##0" },
    ],
    report.anomalies.map((anomaly) => ({ cells: [anomaly.kind, anomaly.severity, anomaly.count] })),
  );

  return Buffer.from(await workbook.xlsx.writeBuffer());
}
