import type { RevenueAnswerRow } from "../query-api/revenue-query.ts";
import { sumTotals, type MonthlyReport } from "./monthly-report.ts";

/** A revenue row with zero figures unless given; tests build reports from these. */
function row(
  bucket: string,
  group: string | null,
  currency: string,
  figures: Partial<RevenueAnswerRow>,
): RevenueAnswerRow {
  return {
    bucket,
    group,
    currency,
    bookings: 0,
    contractValue: 0,
    paymentsReceived: 0,
    refunds: 0,
    cancelledBookings: 0,
    releasedContractValue: 0,
    cancellationFees: 0,
    ...figures,
  };
}

/**
 * A hand-built monthly report for tests and demos: May 2026, GBP, JPY (0 decimals) and EUR (a
 * cancellation fee only), several days and services, a cancellation, and anomalies of several
 * kinds. byService sums to the same totals as byDay.
 */
export function sampleMonthlyReport(): MonthlyReport {
  const byDay = [
    row("2026-05-02", null, "GBP", { bookings: 2, contractValue: 1_250_000, paymentsReceived: 250_000 }),
    row("2026-05-02", null, "JPY", { bookings: 1, contractValue: 1_800_000, paymentsReceived: 300_000 }),
    row("2026-05-09", null, "GBP", { paymentsReceived: 412_345, refunds: 10_050 }),
    row("2026-05-16", null, "GBP", { bookings: 1, contractValue: 325_099, paymentsReceived: 99 }),
    row("2026-05-23", null, "EUR", { cancellationFees: 4_500 }),
    row("2026-05-23", null, "GBP", { cancelledBookings: 1, releasedContractValue: 450_000 }),
    row("2026-05-23", null, "JPY", { paymentsReceived: 450_000, refunds: 25_000 }),
    row("2026-05-30", null, "GBP", { paymentsReceived: 1_000_000 }),
  ];
  const byService = [
    row("2026-05-01", "catering", "GBP", { bookings: 1, contractValue: 325_099, paymentsReceived: 412_444 }),
    row("2026-05-01", "photography", "EUR", { cancellationFees: 4_500 }),
    row("2026-05-01", "photography", "GBP", {
      bookings: 1,
      contractValue: 450_000,
      paymentsReceived: 250_000,
      refunds: 10_050,
      cancelledBookings: 1,
      releasedContractValue: 450_000,
    }),
    row("2026-05-01", "photography", "JPY", {
      bookings: 1,
      contractValue: 1_800_000,
      paymentsReceived: 750_000,
      refunds: 25_000,
    }),
    row("2026-05-01", "venue", "GBP", { bookings: 1, contractValue: 800_000, paymentsReceived: 1_000_000 }),
  ];
  return {
    orgId: "org_sample",
    orgName: "Rosewood Weddings & Events",
    month: "2026-05",
    generatedAt: "2026-06-01T06:00:00.000Z",
    byDay,
    byService,
    totals: sumTotals(byDay),
    anomalies: [
      { kind: "duplicate_payment", severity: "medium", count: 2 },
      { kind: "overpayment", severity: "high", count: 1 },
      { kind: "revenue_outlier", severity: "low", count: 7 },
    ],
  };
}

/** A month in which nothing happened: no revenue rows and no anomalies. */
export function emptyMonthlyReport(): MonthlyReport {
  return {
    orgId: "org_quiet",
    orgName: "Quiet Barn Venue",
    month: "2026-02",
    generatedAt: "2026-03-01T06:00:00.000Z",
    byDay: [],
    byService: [],
    totals: [],
    anomalies: [],
  };
}

/** A report with activity on every day in three currencies: its tables run over several pages. */
export function longMonthlyReport(): MonthlyReport {
  const byDay: RevenueAnswerRow[] = [];
  for (let day = 1; day <= 31; day += 1) {
    const bucket = `2026-07-${String(day).padStart(2, "0")}`;
    for (const [index, currency] of ["EUR", "GBP", "JPY"].entries()) {
      byDay.push(
        row(bucket, null, currency, {
          bookings: (day + index) % 4,
          contractValue: 100_000 * day + 7 * index,
          paymentsReceived: 37_500 * day + index,
          refunds: day % 5 === 0 ? 1_000 * day : 0,
          cancelledBookings: day % 7 === 0 ? 1 : 0,
          releasedContractValue: day % 7 === 0 ? 50_000 * day : 0,
          cancellationFees: day % 7 === 0 ? 500 * day + index : 0,
        }),
      );
    }
  }
  const totals = sumTotals(byDay);
  return {
    orgId: "org_busy",
    orgName: "Busy Bells Ltd",
    month: "2026-07",
    generatedAt: "2026-08-01T06:00:00.000Z",
    byDay,
    byService: totals.map(({ net: _net, currency, ...figures }) => row("2026-07-01", "venue", currency, figures)),
    totals,
    anomalies: [],
  };
}
