import type { Logger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";

/** The tables the processors read state from by key: their plans are only as good as their statistics. */
export const STATE_TABLES = [
  "bookings",
  "booking_changes",
  "payments",
  "refunds",
  "budgets",
  "expenses",
  "inquiries",
  "revenue_daily",
] as const;

/**
 * Events committed before the first refresh, and the share of the tables' size that triggers the next one: a refresh
 * each time the tables have doubled. Plans only need statistics of the right order of magnitude, and on PGlite an
 * ANALYZE of every state table costs ~0.6–1 s of the thread PGlite runs on (autovacuum's 10 % spent ~14 % of a
 * rebuild's PGlite time on it).
 */
const BASE_THRESHOLD = 1000;
const SCALE_FACTOR = 1;

/**
 * Keeps the planner statistics of the state tables fresh as the processors fill them, the way autovacuum's analyze
 * would (a base threshold plus a share of the table's size), which PGlite never runs. Without statistics the planner
 * takes a table for tiny and a batch's key lookups (`org_id = ANY(…) AND booking_id = ANY(…)`) for selective on the
 * organisation alone: it then reads every row of the organisation and filters them, ~80 ms a lookup at 70k rows,
 * against ~3 ms through the (org_id, booking_id) index once the table is analysed. A Postgres server's autovacuum
 * looks at a table once a minute at most, so a fresh database meets the same plans there during its first minute.
 *
 * A refresh is due once the events committed since the last one exceed the threshold; it then analyses one table per
 * batch, so no single batch waits for all of them. Counting events rather than rows per table is coarse on purpose:
 * every state table grows with the events, and an ANALYZE samples at most 30,000 rows, so a refresh costs the same at
 * 10M rows as at 300k, and they come geometrically further apart (about 14 refreshes from empty to 10M events).
 */
export function createPlannerStatistics(sql: SqlClient, logger: Logger) {
  /** The events committed since the last refresh began, and the table size it took as its base. */
  let sinceRefresh = 0;
  let base: number | undefined;
  /** The tables the refresh in progress has left to analyse. */
  let pending: string[] = [];

  async function knownRows(): Promise<number> {
    const rows = await sql.query<{ rows: number }>(
      "SELECT coalesce(sum(greatest(reltuples, 0)), 0)::float8 AS rows FROM pg_class WHERE relname = ANY($1::text[])",
      [[...STATE_TABLES]],
    );
    return Number(rows[0]?.rows ?? 0);
  }

  return {
    /** Told of each committed batch's size (outside its transaction); analyses the next table when a refresh is due. */
    async afterCommit(events: number): Promise<void> {
      base ??= await knownRows();
      sinceRefresh += events;
      if (pending.length === 0 && sinceRefresh >= BASE_THRESHOLD + SCALE_FACTOR * base) {
        pending = [...STATE_TABLES];
        base += sinceRefresh;
        sinceRefresh = 0;
      }
      const table = pending.shift();
      if (table === undefined) return;
      const startedAt = performance.now();
      await sql.query(`ANALYZE ${table}`);
      logger.debug(
        { event: "processor.table_analyzed", table, ms: Math.round(performance.now() - startedAt) },
        "planner statistics refreshed",
      );
    },
  };
}

/** The planner-statistics keeper a batch handler tells of its commits. */
export type PlannerStatistics = ReturnType<typeof createPlannerStatistics>;
