import { PDFParse } from "pdf-parse";
import { describe, expect, it } from "vitest";
import { minorUnitExponent } from "./format-money.ts";
import type { MonthlyReport } from "./monthly-report.ts";
import { renderMonthlyReportPdf } from "./render-pdf.ts";
import { emptyMonthlyReport, longMonthlyReport, sampleMonthlyReport } from "./sample-monthly-report.ts";

/** The text of a PDF, one line per text line, and its page count. */
async function readPdf(buffer: Buffer): Promise<{ lines: string[]; pages: number }> {
  const parser = new PDFParse({ data: new Uint8Array(buffer) });
  try {
    const result = await parser.getText();
    return { lines: result.text.split("\n").map((line) => line.trim()), pages: result.total };
  } finally {
    await parser.destroy();
  }
}

/** "£1,234.56" or "JP¥120,000" back to integer minor units of the currency. */
function parseMoney(text: string, currency: string): number {
  const match = /^(-?)\D*?([\d,]+(?:\.\d+)?)$/.exec(text);
  if (match === null) throw new Error(`not an amount: ${text}`);
  const major = match[2]!.replaceAll(",", "");
  const [whole, fraction = ""] = major.split(".");
  expect(fraction.length).toBe(minorUnitExponent(currency));
  const minor = Number(`${whole}${fraction}`);
  return match[1] === "-" ? -minor : minor;
}

/** The figures of the one line that starts with `prefix` followed by five figure cells. */
function figuresAfter(lines: string[], prefix: string, currency: string) {
  const matches = lines.filter(
    (line) => line.startsWith(`${prefix} `) && line.split(" ").length === prefix.split(" ").length + 5,
  );
  expect(matches, `one line for "${prefix}"`).toHaveLength(1);
  const [bookings, contractValue, paymentsReceived, refunds, net] = matches[0]!.split(" ").slice(-5) as [
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    bookings: Number(bookings.replaceAll(",", "")),
    contractValue: parseMoney(contractValue, currency),
    paymentsReceived: parseMoney(paymentsReceived, currency),
    refunds: parseMoney(refunds, currency),
    net: parseMoney(net, currency),
  };
}

/** The cancellation figures of the one line that starts with `prefix` followed by three figure cells. */
function cancellationsAfter(lines: string[], prefix: string, currency: string) {
  const matches = lines.filter(
    (line) => line.startsWith(`${prefix} `) && line.split(" ").length === prefix.split(" ").length + 3,
  );
  expect(matches, `one cancellations line for "${prefix}"`).toHaveLength(1);
  const [cancelled, released, fees] = matches[0]!.split(" ").slice(-3) as [string, string, string];
  return {
    cancelledBookings: Number(cancelled.replaceAll(",", "")),
    releasedContractValue: parseMoney(released, currency),
    cancellationFees: parseMoney(fees, currency),
  };
}

/** The cancellation figures of a row, when it has any. */
const cancellationsOf = ({
  cancelledBookings,
  releasedContractValue,
  cancellationFees,
}: MonthlyReport["totals"][number]) =>
  cancelledBookings === 0 && releasedContractValue === 0 && cancellationFees === 0
    ? undefined
    : { cancelledBookings, releasedContractValue, cancellationFees };

/** Asserts every figure of every table of the report reads back from the PDF text. */
function expectEveryFigure(lines: string[], report: MonthlyReport): void {
  for (const total of report.totals) {
    expect(figuresAfter(lines, total.currency, total.currency)).toEqual({
      bookings: total.bookings,
      contractValue: total.contractValue,
      paymentsReceived: total.paymentsReceived,
      refunds: total.refunds,
      net: total.net,
    });
    const cancellations = cancellationsOf(total);
    if (cancellations) expect(cancellationsAfter(lines, total.currency, total.currency)).toEqual(cancellations);
  }
  for (const row of [
    ...report.byDay.map((day) => ({ ...day, label: day.bucket })),
    ...report.byService.map((service) => ({ ...service, label: service.group! })),
  ]) {
    expect(figuresAfter(lines, `${row.label} ${row.currency}`, row.currency)).toEqual({
      bookings: row.bookings,
      contractValue: row.contractValue,
      paymentsReceived: row.paymentsReceived,
      refunds: row.refunds,
      net: row.paymentsReceived - row.refunds,
    });
    const cancellations = cancellationsOf({ ...row, net: 0 });
    if (cancellations) {
      expect(cancellationsAfter(lines, `${row.label} ${row.currency}`, row.currency)).toEqual(cancellations);
    }
  }
}

describe("renderMonthlyReportPdf", () => {
  it("shows every KPI, daily, service and anomaly figure of the report", async () => {
    const report = sampleMonthlyReport();
    const { lines } = await readPdf(await renderMonthlyReportPdf(report));

    expect(lines).toContain("Monthly business report");
    expect(lines).toContain("Rosewood Weddings & Events — May 2026");
    expect(lines.some((line) => line.includes("month 2026-05") && line.includes(report.generatedAt))).toBe(true);
    expectEveryFigure(lines, report);
    for (const anomaly of report.anomalies) {
      expect(lines).toContain(`${anomaly.kind} ${anomaly.severity} ${anomaly.count}`);
    }
    expect(lines).toContain("10 anomalies flagged this month, by kind and severity.");
    expect(lines).toContain("Currency Cancelled bookings Released contract value Cancellation fees");
  });

  it("draws one vector chart of payments per day for each currency, with no images", async () => {
    const report = sampleMonthlyReport();
    const buffer = await renderMonthlyReportPdf(report);
    const { lines } = await readPdf(buffer);

    expect(lines).toContain("Payments received per day (GBP)");
    expect(lines).toContain("Payments received per day (JPY)");
    // EUR came into the month by a cancellation fee alone: no payments to chart.
    expect(lines).not.toContain("Payments received per day (EUR)");
    // Scale tops: the largest GBP day is £10,000.00 and the largest JPY day JP¥450,000 (→ 500,000).
    expect(lines).toContain("£10,000.00");
    expect(lines).toContain("JP¥500,000");
    const dayAxis = Array.from({ length: 31 }, (_, index) => index + 1).join(" ");
    expect(lines.filter((line) => line === dayAxis)).toHaveLength(2);
    expect(buffer.includes("/Subtype /Image")).toBe(false);
  });

  it("continues long tables on new pages with the header repeated", async () => {
    const report = longMonthlyReport();
    const { lines, pages } = await readPdf(await renderMonthlyReportPdf(report));

    expect(pages).toBeGreaterThan(2);
    const header = "Date Currency Bookings Contract value Payments received Refunds Net";
    expect(lines.filter((line) => line === header).length).toBeGreaterThan(1);
    expectEveryFigure(lines, report);
    expect(lines).toContain(`Busy Bells Ltd · 2026-07 · page ${pages} of ${pages}`);
  });

  it("says so when the month had no activity", async () => {
    const report = emptyMonthlyReport();
    const { lines, pages } = await readPdf(await renderMonthlyReportPdf(report));

    expect(pages).toBe(1);
    expect(lines).toContain("Quiet Barn Venue — February 2026");
    expect(lines).toContain("No activity recorded in February 2026: no bookings, payments, refunds or anomalies.");
    expect(lines).toContain("No bookings cancelled this month.");
    expect(lines).toContain("No anomalies flagged this month.");
  });

  it("is a function of the report: the same report renders to the same bytes", async () => {
    const report = sampleMonthlyReport();
    const [first, second] = await Promise.all([renderMonthlyReportPdf(report), renderMonthlyReportPdf(report)]);
    expect(first.equals(second)).toBe(true);
  });
});
