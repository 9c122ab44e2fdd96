import type { RevenueQuery, RevenueRow } from "../query-api/revenue-query.ts";
import type { OrgTruth } from "./ground-truth.ts";
import { sortBy, tally } from "./rows.ts";
import { bucketOf } from "./time-buckets.ts";

/** A revenue question without the organisation, which the OrgTruth already is. */
export type RevenueQuestion = Omit<RevenueQuery, "orgId">;

/**
 * The rows queryRevenue must return for this organisation and question, computed from ground
 * truth: facts whose day lies in [from, to] are summed per bucket, group and currency, and sorted
 * by bucket, group (null as the empty string, first) and currency, as its ORDER BY does.
 */
export function expectedRevenue(truth: OrgTruth, question: RevenueQuestion): RevenueRow[] {
  const rows = tally(
    ([bucket, group, currency]): RevenueRow => ({
      bucket: bucket!,
      group: group === "" ? null : group!,
      currency: currency!,
      bookings: 0,
      contractValue: 0,
      paymentsReceived: 0,
      refunds: 0,
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
  }
  return sortBy(
    rows.rows(),
    (r) => r.bucket,
    (r) => r.group ?? "",
    (r) => r.currency,
  );
}
