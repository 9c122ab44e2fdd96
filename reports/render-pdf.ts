import PDFDocument from "pdfkit";
import type { RevenueAnswerRow } from "../query-api/revenue-query.ts";
import { formatMoney } from "./format-money.ts";
import type { MonthlyReport } from "./monthly-report.ts";
import { drawPdfBarChart } from "./pdf-bar-chart.ts";
import { drawPdfTable, ensureSpace, type PdfDocument, type PdfTableColumn } from "./pdf-table.ts";

const MARGIN = 50;

// The standard PDF fonts (no font files to ship) encode WinAnsi only: Latin-1 plus a few signs
// such as €. A currency whose symbol lies outside it (₹, ₩, …) is shown by its ISO code instead.
const WIN_ANSI = /^[\u0020-\u007e\u00a0-\u00ff€]*$/;

/** An amount for the PDF: the en-GB symbol when the standard fonts can draw it, else the ISO code. */
function pdfMoney(amount: number, currency: string): string {
  const withSymbol = formatMoney(amount, currency);
  return WIN_ANSI.test(withSymbol) ? withSymbol : formatMoney(amount, currency, "code");
}

const count = new Intl.NumberFormat("en-GB");

const MONEY_COLUMNS: PdfTableColumn[] = [
  { header: "Bookings", width: 55, align: "right" },
  { header: "Contract value", width: 85, align: "right" },
  { header: "Payments received", width: 85, align: "right" },
  { header: "Refunds", width: 75, align: "right" },
  { header: "Net", width: 75, align: "right" },
];

// The cancellation figures sit in tables of their own: the page has no room for three more columns beside these.
const CANCELLATION_COLUMNS: PdfTableColumn[] = [
  { header: "Cancelled bookings", width: 90, align: "right" },
  { header: "Released contract value", width: 120, align: "right" },
  { header: "Cancellation fees", width: 100, align: "right" },
];

/** The figures of a revenue row or a month's totals. */
type Figures = Omit<RevenueAnswerRow, "bucket" | "group">;

/** Bookings, contract value, payments, refunds and net of one row, as table cells. */
function figureCells(row: Figures): string[] {
  return [
    count.format(row.bookings),
    pdfMoney(row.contractValue, row.currency),
    pdfMoney(row.paymentsReceived, row.currency),
    pdfMoney(row.refunds, row.currency),
    pdfMoney(row.paymentsReceived - row.refunds, row.currency),
  ];
}

/** Cancelled bookings, the contract value they released and the cancellation fees of one row, as table cells. */
function cancellationCells(row: Figures): string[] {
  return [
    count.format(row.cancelledBookings),
    pdfMoney(row.releasedContractValue, row.currency),
    pdfMoney(row.cancellationFees, row.currency),
  ];
}

/** Whether a row has any cancellation figure. */
const hasCancellations = (row: Figures) =>
  row.cancelledBookings !== 0 || row.releasedContractValue !== 0 || row.cancellationFees !== 0;

/** "May 2026" for "2026-05". */
function monthName(month: string): string {
  const [year, monthNumber] = month.split("-").map(Number) as [number, number];
  return new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: "UTC" }).format(
    new Date(Date.UTC(year, monthNumber - 1, 1)),
  );
}

/** Every day of the month, YYYY-MM-DD, in order. */
function daysOf(month: string): string[] {
  const [year, monthNumber] = month.split("-").map(Number) as [number, number];
  const days = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  return Array.from({ length: days }, (_, index) => `${month}-${String(index + 1).padStart(2, "0")}`);
}

function heading(doc: PdfDocument, text: string): void {
  ensureSpace(doc, 60);
  doc.moveDown(0.6).font("Helvetica-Bold").fontSize(13).fillColor("#102a43").text(text, MARGIN);
  doc.moveDown(0.3);
}

function note(doc: PdfDocument, text: string): void {
  doc.font("Helvetica").fontSize(9).fillColor("#52606d").text(text, MARGIN);
  doc.moveDown(0.4);
}

function drawTitle(doc: PdfDocument, report: MonthlyReport): void {
  doc.font("Helvetica-Bold").fontSize(20).fillColor("#102a43").text("Monthly business report", MARGIN, MARGIN);
  doc
    .font("Helvetica")
    .fontSize(14)
    .text(`${report.orgName} — ${monthName(report.month)}`);
  doc.moveDown(0.2);
  note(doc, `Organisation ${report.orgId} · month ${report.month} (UTC days) · generated ${report.generatedAt}`);
}

function drawSummary(doc: PdfDocument, report: MonthlyReport): void {
  heading(doc, "Summary");
  if (report.totals.length === 0) {
    note(doc, "No bookings, cancellations, payments or refunds this month.");
    return;
  }
  note(
    doc,
    "Per currency; amounts in different currencies are never added together. Net = payments received minus refunds.",
  );
  drawPdfTable(
    doc,
    [{ header: "Currency", width: 120 }, ...MONEY_COLUMNS],
    report.totals.map((total) => [total.currency, ...figureCells(total)]),
    9,
  );
}

function drawCharts(doc: PdfDocument, report: MonthlyReport): void {
  if (report.byDay.length === 0) return;
  heading(doc, "Payments received per day");
  const days = daysOf(report.month);
  // A currency that only a cancellation fee brought into the month has no payments to chart.
  for (const { currency } of report.totals.filter((total) => total.paymentsReceived !== 0)) {
    const received = new Map(
      report.byDay.filter((row) => row.currency === currency).map((row) => [row.bucket, row.paymentsReceived]),
    );
    drawPdfBarChart(doc, {
      title: `Payments received per day (${currency})`,
      labels: days.map((day) => String(Number(day.slice(8)))),
      values: days.map((day) => received.get(day) ?? 0),
      formatValue: (value) => pdfMoney(value, currency),
    });
  }
}

function drawDaily(doc: PdfDocument, report: MonthlyReport): void {
  heading(doc, "Daily revenue");
  if (report.byDay.length === 0) {
    note(doc, "No revenue activity this month.");
    return;
  }
  note(
    doc,
    "One row per UTC day with activity and currency; days without bookings, cancellations, payments or refunds are left out.",
  );
  drawPdfTable(
    doc,
    [{ header: "Date", width: 70 }, { header: "Currency", width: 50 }, ...MONEY_COLUMNS],
    report.byDay.map((row) => [row.bucket, row.currency, ...figureCells(row)]),
  );
}

function drawByService(doc: PdfDocument, report: MonthlyReport): void {
  heading(doc, "Revenue by service");
  if (report.byService.length === 0) {
    note(doc, "No revenue activity this month.");
    return;
  }
  drawPdfTable(
    doc,
    [{ header: "Service", width: 70 }, { header: "Currency", width: 50 }, ...MONEY_COLUMNS],
    report.byService.map((row) => [row.group ?? "unspecified", row.currency, ...figureCells(row)]),
  );
}

function drawCancellations(doc: PdfDocument, report: MonthlyReport): void {
  heading(doc, "Cancellations");
  const totals = report.totals.filter(hasCancellations);
  if (totals.length === 0) {
    note(doc, "No bookings cancelled this month.");
    return;
  }
  note(
    doc,
    "Bookings whose cancellation occurred this month (a booking's earliest cancellation counts), the current contract value they released, in the contract's currency, and the cancellation fees, in the fee's currency. Cancelled bookings stay in Bookings and Contract value on the day they were created.",
  );
  drawPdfTable(
    doc,
    [{ header: "Currency", width: 120 }, ...CANCELLATION_COLUMNS],
    totals.map((total) => [total.currency, ...cancellationCells(total)]),
    9,
  );
  doc.moveDown(0.6);
  drawPdfTable(
    doc,
    [{ header: "Date", width: 70 }, { header: "Currency", width: 50 }, ...CANCELLATION_COLUMNS],
    report.byDay.filter(hasCancellations).map((row) => [row.bucket, row.currency, ...cancellationCells(row)]),
  );
  doc.moveDown(0.6);
  drawPdfTable(
    doc,
    [{ header: "Service", width: 70 }, { header: "Currency", width: 50 }, ...CANCELLATION_COLUMNS],
    report.byService
      .filter(hasCancellations)
      .map((row) => [row.group ?? "unspecified", row.currency, ...cancellationCells(row)]),
  );
}

function drawAnomalies(doc: PdfDocument, report: MonthlyReport): void {
  heading(doc, "Anomalies");
  if (report.anomalies.length === 0) {
    note(doc, "No anomalies flagged this month.");
    return;
  }
  const total = report.anomalies.reduce((sum, anomaly) => sum + anomaly.count, 0);
  note(doc, `${count.format(total)} anomalies flagged this month, by kind and severity.`);
  drawPdfTable(
    doc,
    [
      { header: "Kind", width: 200 },
      { header: "Severity", width: 100 },
      { header: "Count", width: 80, align: "right" },
    ],
    report.anomalies.map((anomaly) => [anomaly.kind, anomaly.severity, count.format(anomaly.count)]),
  );
}

/** Writes "page n of m" on every page; the footer sits in the bottom margin, so it never adds a page. */
function drawFooters(doc: PdfDocument, report: MonthlyReport): void {
  const { start, count: pages } = doc.bufferedPageRange();
  for (let index = start; index < start + pages; index += 1) {
    doc.switchToPage(index);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font("Helvetica")
      .fontSize(7)
      .fillColor("#9aa5b1")
      .text(`${report.orgName} · ${report.month} · page ${index + 1} of ${pages}`, MARGIN, doc.page.height - 30, {
        width: doc.page.width - 2 * MARGIN,
        align: "center",
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
}

/**
 * Renders the monthly report as an A4 PDF: title, per-currency summary, a vector bar chart of
 * payments received per day for each currency, the daily revenue table (one row per UTC day with
 * activity and currency), revenue by service, the cancellations (per currency, day and service)
 * and the anomaly counts. Long tables continue on new pages with their header repeated. The
 * output is a function of the report alone: the PDF's dates and file id derive from `generatedAt`.
 */
export async function renderMonthlyReportPdf(report: MonthlyReport): Promise<Buffer> {
  const generatedAt = new Date(report.generatedAt);
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: `Monthly business report — ${report.orgName} — ${report.month}`,
      Author: "WedSync Analytics",
      Creator: "WedSync Analytics",
      Producer: "WedSync Analytics",
      CreationDate: generatedAt,
      ModDate: generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  drawTitle(doc, report);
  if (report.byDay.length === 0 && report.anomalies.length === 0) {
    doc.moveDown(0.5);
    doc
      .font("Helvetica-Bold")
      .fontSize(11)
      .fillColor("#102a43")
      .text(`No activity recorded in ${monthName(report.month)}: no bookings, payments, refunds or anomalies.`, MARGIN);
  }
  drawSummary(doc, report);
  drawCharts(doc, report);
  drawDaily(doc, report);
  drawByService(doc, report);
  drawCancellations(doc, report);
  drawAnomalies(doc, report);
  drawFooters(doc, report);
  doc.end();
  return finished;
}
