import type { RevenueQuery, RevenueRow } from "../query-api/revenue-query.ts";
import type { OrgTruth } from "./ground-truth.ts";
import { sortBy, tally } from "./rows.ts";
import { bucketOf } from "./time-buckets.ts";

/** A revenue question without the organisation, which the OrgTruth already is. */
export type RevenueQuestion = Omit<RevenueQuery, "orgId">;

/** A row of the revenue answer, with the cancellation figures of issue 12. */
export interface ExpectedRevenueRow extends RevenueRow {
  /** Bookings whose counting cancellation falls in the bucket, and the current contract value they released. */
  cancelledBookings: number;
  releasedContractValue: number;
  /** Those cancellations' fees, in the fee's currency. */
  cancellationFees: number;
}

/**
 * The rows queryRevenue must return for this organisation and question, computed from ground
 * truth: facts whose day lies in [from, to] are summed per bucket, group and currency, and sorted
 * by bucket, group (null as the empty string, first) and currency, as its ORDER BY does. Money not
 * linked to a booking has the group null when grouped by service or region.
 */
export function expectedRevenue(truth: OrgTruth, question: RevenueQuestion): ExpectedRevenueRow[] {
  const rows = tally(
    ([bucket, group, currency]): ExpectedRevenueRow => ({
      bucket: bucket!,
      group: group === "" ? null : group!,
      currency: currency!,
      bookings: 0,
      contractValue: 0,
      paymentsReceived: 0,
      refunds: 0,
      cancelledBookings: 0,
      releasedContractValue: 0,
      cancellationFees: 0,
    }),
  );
  for (const fact of truth.revenueDaily) {
    if (fact.day < question.from || fact.day > question.to) continue;
    const group = question.groupBy === "service" ? fact.service : question.groupBy === "region" ? fact.region : null;
    const row = rows.at(bucketOf(fact.day, question.interval), group ?? "", fact.currency);
    row.bookings += fact.bookings;
    row.contractValue += fact.contractValue;
    row.paymentsReceived += fact.paymentsReceived;
    row.refunds += fact.refunds;
    row.cancelledBookings += fact.cancelledBookings;
    row.releasedContractValue += fact.releasedContractValue;
    row.cancellationFees += fact.cancellationFees;
  }
  return sortBy(
    rows.rows(),
    (r) => r.bucket,
    (r) => r.group ?? "",
    (r) => r.currency,
  );
}
