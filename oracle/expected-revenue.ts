import type { RevenueQuery, RevenueRow } from "../query-api/revenue-query.ts";
import { dayNumber, firstOfMonth, formatDay, mondayOf } from "../generator/calendar.ts";
import type { OrgTruth } from "./ground-truth.ts";

/** A revenue question without the organisation, which the OrgTruth already is. */
export type RevenueQuestion = Omit<RevenueQuery, "orgId">;

/** The bucket a day falls in, as queryRevenue spells it (weeks start on Monday). */
function bucketOf(day: string, interval: RevenueQuestion["interval"]): string {
  if (interval === "day") return day;
  if (interval === "month") return formatDay(firstOfMonth(dayNumber(day)));
  return formatDay(mondayOf(dayNumber(day)));
}

/**
 * The rows queryRevenue must return for this organisation and question, computed from ground
 * truth: facts whose day lies in [from, to] are summed per bucket, group and currency, and sorted
 * by bucket, group (null as the empty string, first) and currency, as its ORDER BY does.
 */
export function expectedRevenue(truth: OrgTruth, question: RevenueQuestion): RevenueRow[] {
  const rows = new Map<string, RevenueRow>();
  for (const fact of truth.revenueDaily) {
    if (fact.day < question.from || fact.day > question.to) continue;
    const bucket = bucketOf(fact.day, question.interval);
    const group = question.groupBy === "service" ? fact.service : question.groupBy === "region" ? fact.region : null;
    const key = `${bucket}\u0000${group ?? ""}\u0000${fact.currency}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { bucket, group, currency: fact.currency, bookings: 0, contractValue: 0, paymentsReceived: 0, refunds: 0 };
      rows.set(key, row);
    }
    row.bookings += fact.bookings;
    row.contractValue += fact.contractValue;
    row.paymentsReceived += fact.paymentsReceived;
    row.refunds += fact.refunds;
  }
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows.values()].sort(
    (a, b) => compare(a.bucket, b.bucket) || compare(a.group ?? "", b.group ?? "") || compare(a.currency, b.currency),
  );
}
