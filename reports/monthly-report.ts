import type { ClickHouseClient } from "@clickhouse/client";
import { WedSyncError } from "../platform/errors.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { countAnomalies } from "../query-api/anomalies-query.ts";
import { queryRevenue, type RevenueAnswerRow } from "../query-api/revenue-query.ts";

/** A calendar month, YYYY-MM. */
export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** One currency's figures for the month, in integer minor units of that currency (the revenue endpoint's figures). */
export interface CurrencyTotals {
  currency: string;
  /** Bookings created in the month, cancelled ones included. */
  bookings: number;
  /** Their current contract value. */
  contractValue: number;
  paymentsReceived: number;
  refunds: number;
  /** paymentsReceived − refunds. */
  net: number;
  /** Bookings whose counting cancellation (their earliest) occurred in the month. */
  cancelledBookings: number;
  /** The current contract value of those bookings. */
  releasedContractValue: number;
  /** Their cancellations' fees, in the fee's currency. */
  cancellationFees: number;
}

/** How many anomalies of one kind and severity occurred in the month. */
export interface AnomalyCount {
  kind: string;
  severity: string;
  count: number;
}

/**
 * The monthly business report of one organisation. Every figure comes from the query API's own
 * queries, so it equals what the API answers for the same question.
 */
export interface MonthlyReport {
  orgId: string;
  orgName: string;
  /** YYYY-MM; days are UTC calendar days, as in the query API. */
  month: string;
  /** When the report was generated, ISO 8601. */
  generatedAt: string;
  /** queryRevenue(interval day, groupBy none) over the month: one row per active day and currency. */
  byDay: RevenueAnswerRow[];
  /** queryRevenue(interval month, groupBy service) over the month. */
  byService: RevenueAnswerRow[];
  /** Per currency, summed from byDay; ordered by currency. */
  totals: CurrencyTotals[];
  /** Anomalies that occurred in the month, by kind and severity (the query API's countAnomalies). */
  anomalies: AnomalyCount[];
}

/** What loading a report reads from. */
export interface MonthlyReportSources {
  ch: ClickHouseClient;
  sql: SqlClient;
}

/** Which report to load. */
export interface MonthlyReportQuery {
  orgId: string;
  month: string;
}

/** First and last UTC calendar day of a YYYY-MM month, both inclusive, as YYYY-MM-DD. */
export function monthRange(month: string): { from: string; to: string } {
  if (!MONTH_PATTERN.test(month)) throw new WedSyncError("invalid_month", `not a YYYY-MM month: ${month}`);
  const [year, monthNumber] = month.split("-").map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(lastDay).padStart(2, "0")}` };
}

/** Sums revenue rows per currency; currencies are never added together. */
export function sumTotals(rows: readonly RevenueAnswerRow[]): CurrencyTotals[] {
  const totals = new Map<string, CurrencyTotals>();
  for (const row of rows) {
    const total = totals.get(row.currency) ?? {
      currency: row.currency,
      bookings: 0,
      contractValue: 0,
      paymentsReceived: 0,
      refunds: 0,
      net: 0,
      cancelledBookings: 0,
      releasedContractValue: 0,
      cancellationFees: 0,
    };
    total.bookings += row.bookings;
    total.contractValue += row.contractValue;
    total.paymentsReceived += row.paymentsReceived;
    total.refunds += row.refunds;
    total.net = total.paymentsReceived - total.refunds;
    total.cancelledBookings += row.cancelledBookings;
    total.releasedContractValue += row.releasedContractValue;
    total.cancellationFees += row.cancellationFees;
    totals.set(row.currency, total);
  }
  return [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}

/**
 * Loads the monthly report of one organisation through the query API's own functions: revenue by
 * day and by service from ClickHouse (queryRevenue), anomaly counts from Postgres (countAnomalies).
 */
export async function loadMonthlyReport(
  { ch, sql }: MonthlyReportSources,
  { orgId, month }: MonthlyReportQuery,
): Promise<MonthlyReport> {
  const { from, to } = monthRange(month);
  const [organisations, byDay, byService, anomalies] = await Promise.all([
    sql.query<{ name: string }>("SELECT name FROM organisations WHERE id = $1", [orgId]),
    queryRevenue(ch, { orgId, from, to, interval: "day", groupBy: "none" }),
    queryRevenue(ch, { orgId, from, to, interval: "month", groupBy: "service" }),
    countAnomalies(sql, { orgId, from, to }),
  ]);
  return {
    orgId,
    // Jobs are submitted by an authenticated key, so the organisation exists; a deleted one still
    // gets its report, titled by id.
    orgName: organisations[0]?.name ?? orgId,
    month,
    generatedAt: new Date().toISOString(),
    byDay,
    byService,
    totals: sumTotals(byDay),
    anomalies,
  };
}
