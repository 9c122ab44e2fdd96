import { BY_OCCURRENCE } from "./aggregation/booking-facts.ts";
import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";

/** A budget-against-spend question for one organisation. */
export interface BudgetVsActualQuery {
  /** Only this wedding's categories. */
  weddingId?: string;
  /** Only rows whose spend exceeds their allocation. */
  overrunOnly: boolean;
}

/**
 * Budget against spend of one wedding's category in one currency, in integer minor units. An expense in another
 * currency than the category's allocation gets a row of its own, with no allocation: currencies are never added.
 */
export interface BudgetVsActualRow {
  weddingId: string;
  category: string;
  currency: string;
  /**
   * The latest allocation by occurrence (occurredAt, then event id), or null when the category's allocation is in
   * another currency or there is none.
   */
  allocated: number | null;
  /** Sum of the category's expenses in this currency. */
  spent: number;
  /** allocated − spent, or null without an allocation. */
  remaining: number | null;
  /** True when more was spent than allocated (any spend without an allocation is an overrun). */
  overrun: boolean;
  /** How much more was spent than allocated; 0 when within the budget. */
  overrunAmount: number;
}

/**
 * The organisation's budget-against-spend rows from the `events` table, ordered by wedding, category and currency, as
 * a ClickHouse SELECT of BudgetVsActualRow columns (unpaged: the runner pages it). FINAL keeps one row per event
 * whatever replays wrote. The winning allocation (the latest by occurrence: occurredAt, then event id, whatever order
 * the allocations arrived in) sits in its own currency's row, spend in each expense currency's.
 */
export function budgetVsActualQuery(orgId: string, q: BudgetVsActualQuery): BoundQuery {
  // Allocations and spend meet in one grouping: max() of the allocation skips the spend rows' nulls. The wedding
  // filter is bound either way; an empty one (never a valid id) means every wedding.
  const query = `
    SELECT
      wedding_id AS weddingId,
      category,
      currency,
      allocated,
      spent,
      allocated - spent AS remaining,
      toBool(spent > ifNull(allocated, 0)) AS overrun,
      greatest(spent - ifNull(allocated, 0), 0) AS overrunAmount
    FROM (
      SELECT wedding_id, category, currency, max(alloc) AS allocated, sum(spend) AS spent
      FROM (
        SELECT wedding_id, category, toString(winner.1) AS currency, toNullable(winner.2) AS alloc, toInt64(0) AS spend
        FROM (
          SELECT wedding_id, category, argMax((currency, amount), ${BY_OCCURRENCE}) AS winner
          FROM events FINAL
          WHERE org_id = {orgId:String} AND type = 'budget.allocated'
            AND ({weddingId:String} = '' OR wedding_id = {weddingId:String})
          GROUP BY wedding_id, category
        )
        UNION ALL
        SELECT wedding_id, category, toString(currency), CAST(NULL AS Nullable(Int64)), amount
        FROM events FINAL
        WHERE org_id = {orgId:String} AND type = 'expense.recorded'
          AND ({weddingId:String} = '' OR wedding_id = {weddingId:String})
      )
      GROUP BY wedding_id, category, currency
    )
    WHERE NOT {overrunOnly:Bool} OR overrun
    ORDER BY weddingId, category, currency`;
  return { query, params: { orgId, weddingId: q.weddingId ?? "", overrunOnly: q.overrunOnly } };
}
