import { describe, expect, it } from "vitest";
import { expectedRevenue, type ExpectedRevenueRow } from "./expected-revenue.ts";
import type { DailyRevenue, OrgTruth } from "./ground-truth.ts";

/** A fact with zeros where not given. */
function fact(
  day: string,
  service: string,
  region: string | null,
  currency: string,
  figures: Partial<DailyRevenue>,
): DailyRevenue {
  const zero = { cancelledBookings: 0, releasedContractValue: 0, cancellationFees: 0 };
  return {
    day,
    service,
    region,
    currency,
    bookings: 0,
    contractValue: 0,
    paymentsReceived: 0,
    refunds: 0,
    ...zero,
    ...figures,
  };
}

const truth = {
  revenueDaily: [
    fact("2026-06-28", "venue", "Tuscany", "EUR", { bookings: 1, contractValue: 900_000 }),
    fact("2026-06-28", "venue", null, "GBP", { paymentsReceived: 50_000 }),
    fact("2026-06-29", "catering", "Tuscany", "EUR", { paymentsReceived: 20_000 }),
    fact("2026-07-01", "venue", "Cotswolds", "GBP", { refunds: 7_000 }),
    fact("2026-07-02", "venue", "Cotswolds", "GBP", { bookings: 1, contractValue: 10 }),
    fact("2026-07-03", "", null, "GBP", { paymentsReceived: 400 }),
    fact("2026-07-04", "venue", "Cotswolds", "GBP", {
      cancelledBookings: 1,
      releasedContractValue: 10,
      cancellationFees: 3,
    }),
  ],
} as OrgTruth;

/** An expected row, with zeros where not given. */
function row(
  bucket: string,
  group: string | null,
  currency: string,
  figures: Partial<ExpectedRevenueRow>,
): ExpectedRevenueRow {
  const zero = { cancelledBookings: 0, releasedContractValue: 0, cancellationFees: 0 };
  return {
    bucket,
    group,
    currency,
    bookings: 0,
    contractValue: 0,
    paymentsReceived: 0,
    refunds: 0,
    ...zero,
    ...figures,
  };
}

describe("expectedRevenue", () => {
  it("buckets weeks from Monday and months from the first, per group and currency", () => {
    expect(
      expectedRevenue(truth, { from: "2026-06-01", to: "2026-07-01", interval: "week", groupBy: "region" }),
    ).toEqual([
      row("2026-06-22", null, "GBP", { paymentsReceived: 50_000 }),
      row("2026-06-22", "Tuscany", "EUR", { bookings: 1, contractValue: 900_000 }),
      row("2026-06-29", "Cotswolds", "GBP", { refunds: 7_000 }),
      row("2026-06-29", "Tuscany", "EUR", { paymentsReceived: 20_000 }),
    ]);
    expect(
      expectedRevenue(truth, { from: "2026-06-01", to: "2026-07-31", interval: "month", groupBy: "none" }),
    ).toEqual([
      row("2026-06-01", null, "EUR", { bookings: 1, contractValue: 900_000, paymentsReceived: 20_000 }),
      row("2026-06-01", null, "GBP", { paymentsReceived: 50_000 }),
      row("2026-07-01", null, "GBP", {
        bookings: 1,
        contractValue: 10,
        refunds: 7_000,
        paymentsReceived: 400,
        cancelledBookings: 1,
        releasedContractValue: 10,
        cancellationFees: 3,
      }),
    ]);
  });

  it("puts money not linked to a booking under no service or region", () => {
    expect(
      expectedRevenue(truth, { from: "2026-07-02", to: "2026-07-08", interval: "week", groupBy: "service" }),
    ).toEqual([
      row("2026-06-29", null, "GBP", { paymentsReceived: 400 }),
      row("2026-06-29", "venue", "GBP", {
        bookings: 1,
        contractValue: 10,
        cancelledBookings: 1,
        releasedContractValue: 10,
        cancellationFees: 3,
      }),
    ]);
  });

  it("keeps only days within from and to, both inclusive", () => {
    const rows = expectedRevenue(truth, { from: "2026-06-29", to: "2026-07-01", interval: "day", groupBy: "service" });
    expect(rows.map((row) => [row.bucket, row.group])).toEqual([
      ["2026-06-29", "catering"],
      ["2026-07-01", "venue"],
    ]);
  });
});
