import { randomUUID } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClickHouse } from "../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../platform/clickhouse/migrate.ts";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import { queryRevenue, type RevenueAnswerRow } from "./revenue-query.ts";

let dir: TempDir;
let ch: ClickHouseClient;
const org = `org_${randomUUID()}`;
const otherOrg = `org_${randomUUID()}`;

/** The figures of a rollup row or an answer row, 0 unless given. */
interface Figures {
  bookings?: number;
  contractValue?: number;
  paymentsReceived?: number;
  refunds?: number;
  cancelledBookings?: number;
  releasedContractValue?: number;
  cancellationFees?: number;
}

/** One version of a `revenue_daily` total, as the processors write it. */
function total(
  orgId: string,
  day: string,
  [service, region, currency]: [string, string, string],
  figures: Figures,
  { partition = 0, version = 1 } = {},
) {
  return {
    org_id: orgId,
    day,
    service,
    region,
    currency,
    log_partition: partition,
    bookings: figures.bookings ?? 0,
    contract_value: figures.contractValue ?? 0,
    payments_received: figures.paymentsReceived ?? 0,
    refunds: figures.refunds ?? 0,
    cancelled_bookings: figures.cancelledBookings ?? 0,
    released_contract_value: figures.releasedContractValue ?? 0,
    cancellation_fees: figures.cancellationFees ?? 0,
    version,
  };
}

/** An answer row, every figure 0 unless given. */
const answer = (bucket: string, group: string | null, currency: string, figures: Figures): RevenueAnswerRow => ({
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
});

const photographyGbp: [string, string, string] = ["photography", "Yorkshire", "GBP"];

beforeAll(async () => {
  dir = await makeTempDir("wedsync-revenue");
  ch = createClickHouse({ url: undefined, dataDir: dir.path });
  await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
  await ch.insert({
    table: "revenue_daily",
    format: "JSONEachRow",
    values: [
      // A booking of 15 January, repriced since (the newer version stands), and paid on two log partitions.
      total(org, "2026-01-15", photographyGbp, { bookings: 1, contractValue: 200_000, paymentsReceived: 55_000 }),
      total(
        org,
        "2026-01-15",
        photographyGbp,
        { bookings: 1, contractValue: 220_000, paymentsReceived: 55_000 },
        { version: 2 },
      ),
      total(org, "2026-01-15", photographyGbp, { paymentsReceived: 1_000 }, { partition: 1 }),
      // A payment whose booking does not exist: no service, no region.
      total(org, "2026-04-01", ["", "", "GBP"], { paymentsReceived: 999 }),
      total(org, "2026-05-01", photographyGbp, { refunds: 5_000 }),
      // Its cancellation: the booking and its current contract value released, the fee in euros on the same day.
      total(org, "2026-09-30", photographyGbp, { cancelledBookings: 1, releasedContractValue: 220_000 }),
      total(org, "2026-09-30", ["photography", "Yorkshire", "EUR"], { cancellationFees: 3_000 }),
      // Totals that moved away (a booking whose contract changed currency): all 0, so no row.
      total(org, "2026-03-03", ["venue", "Kent", "EUR"], { bookings: 1, contractValue: 500 }),
      total(org, "2026-03-03", ["venue", "Kent", "EUR"], {}, { version: 2 }),
      total(otherOrg, "2026-01-15", photographyGbp, { bookings: 7, contractValue: 7, cancelledBookings: 7 }),
    ],
  });
});

afterAll(async () => {
  await ch?.close();
  await dir?.cleanup();
});

describe("queryRevenue", () => {
  it("sums each bucket's newest totals over partitions, cancellations included, and leaves all-zero buckets out", async () => {
    const rows = await queryRevenue(ch, {
      orgId: org,
      from: "2026-01-01",
      to: "2026-12-31",
      interval: "month",
      groupBy: "none",
    });
    expect(rows).toEqual([
      answer("2026-01-01", null, "GBP", { bookings: 1, contractValue: 220_000, paymentsReceived: 56_000 }),
      answer("2026-04-01", null, "GBP", { paymentsReceived: 999 }),
      answer("2026-05-01", null, "GBP", { refunds: 5_000 }),
      answer("2026-09-01", null, "EUR", { cancellationFees: 3_000 }),
      answer("2026-09-01", null, "GBP", { cancelledBookings: 1, releasedContractValue: 220_000 }),
    ]);
  });

  it("splits by service and region, and by day and Monday-weeks", async () => {
    const byService = await queryRevenue(ch, {
      orgId: org,
      from: "2026-01-01",
      to: "2026-12-31",
      interval: "month",
      groupBy: "service",
    });
    expect(byService.map((r) => [r.bucket, r.group, r.currency])).toEqual([
      ["2026-01-01", "photography", "GBP"],
      ["2026-04-01", null, "GBP"],
      ["2026-05-01", "photography", "GBP"],
      ["2026-09-01", "photography", "EUR"],
      ["2026-09-01", "photography", "GBP"],
    ]);
    const byRegion = await queryRevenue(ch, {
      orgId: org,
      from: "2026-01-15",
      to: "2026-01-15",
      interval: "week",
      groupBy: "region",
    });
    expect(byRegion).toEqual([
      answer("2026-01-12", "Yorkshire", "GBP", { bookings: 1, contractValue: 220_000, paymentsReceived: 56_000 }),
    ]);
    const byDay = await queryRevenue(ch, {
      orgId: org,
      from: "2026-09-30",
      to: "2026-09-30",
      interval: "day",
      groupBy: "none",
    });
    expect(byDay).toEqual([
      answer("2026-09-30", null, "EUR", { cancellationFees: 3_000 }),
      answer("2026-09-30", null, "GBP", { cancelledBookings: 1, releasedContractValue: 220_000 }),
    ]);
  });

  it("answers only for the organisation asked about, and nothing outside the dates", async () => {
    expect(
      await queryRevenue(ch, {
        orgId: "org_nobody",
        from: "2026-01-01",
        to: "2026-12-31",
        interval: "month",
        groupBy: "none",
      }),
    ).toEqual([]);
    expect(
      await queryRevenue(ch, { orgId: org, from: "2025-01-01", to: "2025-12-31", interval: "month", groupBy: "none" }),
    ).toEqual([]);
  });
});
