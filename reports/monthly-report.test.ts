import { randomUUID } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse, type ClickHouseClient } from "../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../platform/clickhouse/migrate.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { queryRevenue } from "../query-api/revenue-query.ts";
import { createTestPglite } from "../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import { loadMonthlyReport, monthRange, sumTotals } from "./monthly-report.ts";

describe("monthRange", () => {
  it("spans the month's first to last UTC day, leap years included", () => {
    expect(monthRange("2026-05")).toEqual({ from: "2026-05-01", to: "2026-05-31" });
    expect(monthRange("2028-02")).toEqual({ from: "2028-02-01", to: "2028-02-29" });
    expect(monthRange("2027-02")).toEqual({ from: "2027-02-01", to: "2027-02-28" });
    expect(() => monthRange("2026-13")).toThrow(/not a YYYY-MM month/);
  });
});

describe("sumTotals", () => {
  it("sums per currency and never across currencies", () => {
    const row = {
      bucket: "2026-05-01",
      group: null,
      bookings: 1,
      contractValue: 10,
      paymentsReceived: 7,
      refunds: 2,
      cancelledBookings: 1,
      releasedContractValue: 4,
      cancellationFees: 3,
    };
    const cancelled = (n: number) => ({ cancelledBookings: n, releasedContractValue: 4 * n, cancellationFees: 3 * n });
    expect(
      sumTotals([
        { ...row, currency: "JPY" },
        { ...row, currency: "GBP" },
        { ...row, currency: "GBP" },
      ]),
    ).toEqual([
      { currency: "GBP", bookings: 2, contractValue: 20, paymentsReceived: 14, refunds: 4, net: 10, ...cancelled(2) },
      { currency: "JPY", bookings: 1, contractValue: 10, paymentsReceived: 7, refunds: 2, net: 5, ...cancelled(1) },
    ]);
  });
});

describe("loadMonthlyReport", () => {
  let dir: TempDir;
  let sql: SqlClient;
  let ch: ClickHouseClient;

  beforeAll(async () => {
    dir = await makeTempDir("wedsync-monthly-report");
    sql = await createTestPglite(path.join(dir.path, "postgres"));
    ch = createClickHouse({ url: undefined, dataDir: dir.path });
    await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);

    // The revenue rollup as the processors leave it after: b1 (venue, GBP) booked on 2 May at 500,000 and paid
    // 100,000, raised to 600,000 on 10 May, refunded 20,000 on 15 May, paid 50,000 on 31 May and 999 on 1 June;
    // b2 (photography, JPY) booked and paid on 20 May, cancelled on 25 May with a fee of 30,000 in pounds; another
    // organisation's payment. The first row is an older version of the 2 May totals, which FINAL must ignore.
    const total = (
      org: string,
      day: string,
      service: string,
      currency: string,
      figures: number[],
      version: number,
    ) => ({
      org_id: org,
      day,
      service,
      region: "",
      currency,
      log_partition: 0,
      bookings: figures[0],
      contract_value: figures[1],
      payments_received: figures[2],
      refunds: figures[3],
      cancelled_bookings: figures[4] ?? 0,
      released_contract_value: figures[5] ?? 0,
      cancellation_fees: figures[6] ?? 0,
      version,
    });
    await ch.insert({
      table: "revenue_daily",
      format: "JSONEachRow",
      values: [
        total("org_a", "2026-05-02", "venue", "GBP", [1, 500_000, 100_000, 0], 2),
        total("org_a", "2026-05-02", "venue", "GBP", [1, 600_000, 100_000, 0], 3),
        total("org_a", "2026-05-15", "venue", "GBP", [0, 0, 0, 20_000], 4),
        total("org_a", "2026-05-31", "venue", "GBP", [0, 0, 50_000, 0], 5),
        total("org_a", "2026-06-01", "venue", "GBP", [0, 0, 999, 0], 6),
        total("org_a", "2026-05-20", "photography", "JPY", [1, 300_000, 100_000, 0], 8),
        total("org_a", "2026-05-25", "photography", "JPY", [0, 0, 0, 0, 1, 300_000, 0], 10),
        total("org_a", "2026-05-25", "photography", "GBP", [0, 0, 0, 0, 0, 0, 30_000], 10),
        total("org_b", "2026-05-20", "venue", "GBP", [0, 0, 7, 0], 9),
      ],
    });

    await sql.query("INSERT INTO organisations (id, name) VALUES ('org_a', 'Rosewood Weddings'), ('org_b', 'Other')");
    const anomaly = (org: string, kind: string, severity: string, at: string) =>
      sql.query(
        `INSERT INTO anomalies
           (id, org_id, kind, severity, score, event_id, evidence, occurred_at, log_partition, log_offset)
         VALUES ($1, $2, $3, $4, 1, $5, '{}', $6, 0, 0)`,
        [randomUUID(), org, kind, severity, randomUUID(), at],
      );
    await anomaly("org_a", "overpayment", "high", "2026-05-03T10:00:00Z");
    await anomaly("org_a", "overpayment", "high", "2026-05-31T23:00:00Z");
    await anomaly("org_a", "duplicate_payment", "medium", "2026-05-01T00:00:00Z");
    await anomaly("org_a", "overpayment", "high", "2026-06-01T00:00:00Z");
    await anomaly("org_b", "overpayment", "high", "2026-05-03T10:00:00Z");
  });

  afterAll(async () => {
    try {
      await ch?.close();
      await sql?.close();
    } finally {
      await dir.cleanup();
    }
  });

  it("reads the month through the query API's own functions, per currency, inside the month only", async () => {
    const report = await loadMonthlyReport({ ch, sql }, { orgId: "org_a", month: "2026-05" });

    expect(report).toMatchObject({ orgId: "org_a", orgName: "Rosewood Weddings", month: "2026-05" });
    expect(Date.parse(report.generatedAt)).not.toBeNaN();
    // The same question asked of the API's query gives the same figures.
    expect(report.byDay).toEqual(
      await queryRevenue(ch, {
        orgId: "org_a",
        from: "2026-05-01",
        to: "2026-05-31",
        interval: "day",
        groupBy: "none",
      }),
    );
    expect(report.byDay.map((row) => `${row.bucket} ${row.currency}`)).toEqual([
      "2026-05-02 GBP",
      "2026-05-15 GBP",
      "2026-05-20 JPY",
      "2026-05-25 GBP",
      "2026-05-25 JPY",
      "2026-05-31 GBP",
    ]);
    expect(report.totals).toEqual([
      {
        currency: "GBP",
        bookings: 1,
        contractValue: 600_000,
        paymentsReceived: 150_000,
        refunds: 20_000,
        net: 130_000,
        cancelledBookings: 0,
        releasedContractValue: 0,
        cancellationFees: 30_000,
      },
      {
        currency: "JPY",
        bookings: 1,
        contractValue: 300_000,
        paymentsReceived: 100_000,
        refunds: 0,
        net: 100_000,
        cancelledBookings: 1,
        releasedContractValue: 300_000,
        cancellationFees: 0,
      },
    ]);
    expect(
      report.byService.map(({ group, currency, paymentsReceived, cancelledBookings, cancellationFees }) => ({
        group,
        currency,
        paymentsReceived,
        cancelledBookings,
        cancellationFees,
      })),
    ).toEqual([
      { group: "photography", currency: "GBP", paymentsReceived: 0, cancelledBookings: 0, cancellationFees: 30_000 },
      { group: "photography", currency: "JPY", paymentsReceived: 100_000, cancelledBookings: 1, cancellationFees: 0 },
      { group: "venue", currency: "GBP", paymentsReceived: 150_000, cancelledBookings: 0, cancellationFees: 0 },
    ]);
    expect(report.anomalies).toEqual([
      { kind: "duplicate_payment", severity: "medium", count: 1 },
      { kind: "overpayment", severity: "high", count: 2 },
    ]);
  });

  it("gives an empty report for a month without activity", async () => {
    const report = await loadMonthlyReport({ ch, sql }, { orgId: "org_a", month: "2026-02" });
    expect(report).toMatchObject({ byDay: [], byService: [], totals: [], anomalies: [] });
  });
});
