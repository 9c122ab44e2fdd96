import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { ClickHouseClient } from "@clickhouse/client";
import type { SqlClient, SqlQueryable } from "../platform/sql/sql-client.ts";
import { PartitionTakenOverError } from "../platform/errors.ts";
import { ANOMALY_COLUMNS, EVENT_COLUMNS, REJECTED_COLUMNS, toClickHouseTime } from "./clickhouse-rows.ts";
import { persistDeadLetters } from "./persist-dead-letters.ts";
import type { AnomalyChange, BatchOutcome, LinkedRow } from "./pipeline.ts";
import { REVENUE_COLUMNS } from "./revenue-totals.ts";

/** A batch's outcome with its revenue totals settled: what the writes below take. */
export interface SettledBatch extends BatchOutcome {
  /** The revenue rollup's new totals for ClickHouse (`revenue_daily`). */
  revenueRows: unknown[][];
}

/**
 * Settles the batch's revenue totals: reads from Postgres the stored totals the batch touches and adds its figures to
 * them. Those totals change only in a batch's commit (commitBatchState), so this reads committed state only: a batch
 * recomputed after a crash before its commit settles to exactly the same totals. It must come after processing (its
 * keys are the batch's) and before the ClickHouse insert and the Postgres commit, which write the settled totals.
 */
export async function settleRevenue(sql: SqlClient, outcome: BatchOutcome): Promise<SettledBatch> {
  return { ...outcome, revenueRows: await outcome.state.revenue.settle(sql) };
}

/** Identifies one batch: a consumer group's range [from, to) of one partition of a topic. */
export interface BatchRange {
  group: string;
  topic: string;
  partition: number;
  from: number;
  to: number;
}

/**
 * Writes a batch's ClickHouse rows. Each insert carries a deduplication token derived from the
 * batch range, so an insert repeated while the process lives (a client retry) is absorbed by
 * ClickHouse. After a crash the token is not trusted: ClickHouse's deduplication log is written
 * apart from the part it describes, and a kill between the two leaves a token whose rows were
 * lost — the same token would then drop the replay. A `freshToken` insert (a recovery, or a range
 * written again after its rows were discarded) therefore gets a token of its own; rows the crashed
 * attempt did keep are collapsed by the ReplacingMergeTree key, which every query reads with FINAL.
 */
export async function insertBatchRows(
  ch: ClickHouseClient,
  range: BatchRange,
  outcome: SettledBatch,
  { freshToken = false }: { freshToken?: boolean } = {},
): Promise<void> {
  const token = `${range.topic}/${range.partition}/${range.from}-${range.to}${freshToken ? `/attempt-${randomUUID()}` : ""}`;
  const inserts: [string, readonly string[], unknown[][]][] = [
    ["events", EVENT_COLUMNS, outcome.eventRows],
    ["rejected_events", REJECTED_COLUMNS, outcome.rejectedRows],
    ["anomalies", ANOMALY_COLUMNS, outcome.anomalyRows],
    ["revenue_daily", REVENUE_COLUMNS, outcome.revenueRows],
  ];
  const settings = (table: string) => ({
    insert_deduplication_token: `${table}:${token}`,
    // `events` is partitioned by month, and ClickHouse refuses by default an insert touching over 100 of them: a batch
    // of a supplier's imported history would then fail on every retry, stalling its partition. A part per month is
    // what such a batch costs; merges take care of it.
    max_partitions_per_insert_block: "0",
  });
  await Promise.all([
    ...inserts
      .filter(([, , rows]) => rows.length > 0)
      .map(([table, columns, rows]) =>
        ch.insert({
          table,
          values: rows,
          columns: columns as [string, ...string[]],
          format: "JSONCompactEachRow",
          clickhouse_settings: settings(table),
        }),
      ),
    ...(outcome.linkedRows.length === 0
      ? []
      : [ch.command({ ...linkRowsCommand(outcome.linkedRows), clickhouse_settings: settings("events-links") })]),
  ]);
}

/**
 * Writes again, with their booking's supplier, service, region and venue, the `events` rows of payments and refunds
 * that arrived before their booking (in an earlier batch) and that this batch linked to it. The rows are copied from
 * ClickHouse itself with those four columns replaced; `events` keeps, for one key, the row inserted last, so the linked
 * copy is the one every query reads. Looking the rows up by organisation, type and occurrence lets the primary key
 * find them.
 */
export function linkRowsCommand(rows: LinkedRow[]): { query: string; query_params: Record<string, unknown> } {
  const pick = (f: (row: LinkedRow) => string) => rows.map(f);
  const swap = (column: string, values: string) =>
    `transform(toString(id), {ids:Array(String)}, {${values}:Array(String)}, ${column}) AS ${column}`;
  return {
    query: `INSERT INTO events
      SELECT * REPLACE (${swap("supplier_id", "suppliers")}, ${swap("service", "services")},
        ${swap("region", "regions")}, ${swap("venue_id", "venues")})
      FROM events FINAL
      WHERE org_id IN {orgs:Array(String)} AND type IN ('payment.received', 'payment.refunded')
        AND occurred_at IN {ats:Array(DateTime64(3, 'UTC'))} AND toString(id) IN {ids:Array(String)}`,
    query_params: {
      ids: pick((r) => r.eventId),
      orgs: [...new Set(pick((r) => r.orgId))],
      ats: pick((r) => toClickHouseTime(r.occurredAt)),
      suppliers: pick((r) => r.booking.supplierId),
      services: pick((r) => r.booking.service),
      regions: pick((r) => r.booking.region ?? ""),
      venues: pick((r) => r.booking.venueId ?? ""),
    },
  };
}

/**
 * Deletes the ClickHouse rows of every uncommitted attempt in a partition: those at or past `from`, its committed
 * offset in Postgres. Ranges are written in order from the committed offset, so every such row belongs to an attempt
 * that did not commit; the revenue rollup's rows are versioned by their batch's end offset, so theirs are the versions
 * above `from`. Called when a store refused part of a batch: the inserts of the failed attempt that did succeed (the
 * refused event's own row among them) must not outlive it, since the range is then written again in smaller parts.
 */
export async function discardUncommittedRows(ch: ClickHouseClient, partition: number, from: number): Promise<void> {
  const params = { partition, from };
  for (const table of ["events", "rejected_events", "anomalies"]) {
    await ch.command({
      query: `DELETE FROM ${table} WHERE log_partition = {partition:UInt16} AND log_offset >= {from:UInt64}`,
      query_params: params,
    });
  }
  await ch.command({
    query: "DELETE FROM revenue_daily WHERE log_partition = {partition:UInt16} AND version > {from:UInt64}",
    query_params: params,
  });
}

/**
 * Records, before any ClickHouse insert, the end of the range about to be written. If the process
 * dies between the inserts and the Postgres commit, the restart reads exactly this range again
 * from the same Postgres state, so it produces the same rows and the same projections.
 *
 * Only a processor whose range starts at the partition's committed offset may record it: when the
 * partition was handed to another member of the group, which committed past it, this one's batch is
 * stale and it stops with PartitionTakenOverError.
 */
export async function recordPendingRange(sql: SqlClient, range: BatchRange): Promise<void> {
  const recorded = await sql.query(
    `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, pending_end) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (group_id, topic, partition) DO UPDATE SET pending_end = excluded.pending_end, updated_at = now()
       WHERE consumer_offsets.next_offset = excluded.next_offset
     RETURNING partition`,
    [range.group, range.topic, range.partition, range.from, range.to],
  );
  if (recorded.length === 0) throw await takenOver(sql, range);
}

/**
 * Commits the batch's Postgres side in one transaction: projected state, anomalies and the
 * consumer offset move together, so a batch is never applied twice nor skipped. The offset moves
 * first, and only from where the batch starts: the row lock it takes makes a second member of the
 * group that wrote the same range wait, then find the offset moved and roll back (a partition
 * handed over while its old owner was still writing is committed once).
 *
 * `beforeCommit` (the batch's ClickHouse insert) is started first and runs while the transaction's
 * statements do; the transaction commits only once both have succeeded, so the two stores work at
 * once and a failure of either rolls the transaction back, as if the insert had come first. An open
 * transaction holds its connection (on PGlite, the only one, which every other caller then waits
 * for), so once its statements are done it waits at most `holdMs` for the insert: an insert still
 * running then (a slow or unreachable ClickHouse) has the transaction rolled back, and written
 * again and committed once the insert has succeeded. The insert is always waited for before a
 * failure is thrown, so nothing of the attempt is still in flight when the caller retries or
 * discards its rows; when both fail, the insert's error is the one thrown. It runs outside the
 * transaction's callback, so what it calls may use `sql` freely.
 */
export async function commitBatchState(
  sql: SqlClient,
  range: BatchRange,
  outcome: SettledBatch,
  beforeCommit: () => Promise<void> = async () => {},
  { holdMs = COMMIT_HOLD_MS }: { holdMs?: number } = {},
): Promise<void> {
  const inserted = beforeCommit().then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  try {
    await sql.transaction(async (tx) => {
      const moved = await writeBatchState(tx, range, outcome);
      const wait = new AbortController();
      const insert = await Promise.race([
        inserted.then((failure) => ({ failure })),
        delay(holdMs, "held" as const, { signal: wait.signal }).catch(() => "held" as const),
      ]).finally(() => wait.abort());
      if (insert === "held") throw INSERT_OUTLASTED_HOLD;
      if (insert.failure !== undefined) throw insert.failure.error;
      if (!moved) throw await takenOver(tx, range);
    });
  } catch (error) {
    const failure = await inserted;
    if (failure !== undefined) throw failure.error;
    if (error !== INSERT_OUTLASTED_HOLD) throw error;
    // The insert succeeded after the transaction let go of its connection: the same writes, committed now.
    await sql.transaction(async (tx) => {
      if (!(await writeBatchState(tx, range, outcome))) throw await takenOver(tx, range);
    });
  }
}

/** How long a batch's transaction, its statements done, waits for the batch's ClickHouse insert before letting go, ms. */
const COMMIT_HOLD_MS = 1000;

/** Thrown inside the transaction to roll it back when the insert outlasts the hold (never leaves commitBatchState). */
const INSERT_OUTLASTED_HOLD = new Error("the ClickHouse insert outlasted the transaction's hold");

/**
 * Issues every statement of the batch's commit in the transaction and resolves once all have run; true when the
 * offset moved. Every statement is issued at once and runs in this order on the transaction's connection: a round trip
 * per statement would hold the transaction (and, on PGlite, every other caller) open while this thread is busy
 * elsewhere. The offset's statement runs first; if it moved nothing, the caller rolls the writes after it back.
 */
async function writeBatchState(tx: SqlQueryable, range: BatchRange, outcome: SettledBatch): Promise<boolean> {
  const [moved] = await Promise.all([
    tx.query(
      `UPDATE consumer_offsets SET next_offset = $5, pending_end = NULL, updated_at = now(), committed_at = now()
       WHERE group_id = $1 AND topic = $2 AND partition = $3 AND next_offset = $4
       RETURNING partition`,
      [range.group, range.topic, range.partition, range.from, range.to],
    ),
    outcome.state.persist(tx),
    persistDeadLetters(tx, outcome.deadLetters),
    persistAnomalies(tx, outcome.anomalies, outcome.foundOrphans),
  ]);
  return moved.length > 0;
}

/** The error for a range whose partition's offset in Postgres is no longer where the range starts. */
async function takenOver(sql: SqlQueryable, range: BatchRange): Promise<PartitionTakenOverError> {
  const [row] = await sql.query<{ next_offset: number }>(
    "SELECT next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3",
    [range.group, range.topic, range.partition],
  );
  const at = row === undefined ? "has no offset" : `is at ${Number(row.next_offset)}`;
  return new PartitionTakenOverError(
    `partition ${range.partition} of ${range.topic} ${at} in Postgres for group ${range.group}, not at ${range.from} ` +
      `where this batch (${range.from}–${range.to}) starts: another processor of the group took it over`,
    { details: { ...range, committed: row === undefined ? null : Number(row.next_offset) } },
  );
}

/**
 * Writes the batch's new anomaly judgements. An anomaly that holds is inserted open, or has its evidence brought up to
 * date (and is reopened if its rule had resolved it; one a person acknowledged or dismissed keeps that status). One
 * whose rule resolved it (it held, by occurrence, and no longer does) is written resolved, unless a person dismissed it;
 * so is an orphan whose referent arrived. A retracted one (raised on a state a late event showed never existed) is
 * removed, unless a person acknowledged it, which then reads resolved. This runs after the batch's payments, refunds and
 * changes were written (their new `linked` flags hold the row locks the orphan sweep takes), so a sweep and a batch
 * never disagree about an orphan.
 */
async function persistAnomalies(tx: SqlQueryable, changes: AnomalyChange[], foundOrphans: string[]): Promise<void> {
  const writes: Promise<unknown>[] = [];
  const judged = changes.filter((c) => !c.retracted);
  const retracted = changes.filter((c) => c.retracted).map((c) => c.anomaly.id);
  if (judged.length > 0) {
    const column = <T>(pick: (c: AnomalyChange) => T) => judged.map(pick);
    writes.push(
      tx.query(
        `INSERT INTO anomalies (id, org_id, kind, subject, severity, score, event_id, booking_id, wedding_id, evidence,
         occurred_at, log_partition, log_offset, status, resolved_at, updated_at)
       SELECT *, CASE WHEN k.status = 'resolved' THEN now() END, now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::uuid[], $8::text[],
         $9::text[], $10::jsonb[], $11::timestamptz[], $12::int[], $13::bigint[], $14::text[])
         AS k(id, org_id, kind, subject, severity, score, event_id, booking_id, wedding_id, evidence, occurred_at,
           log_partition, log_offset, status)
       ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, score = excluded.score,
         event_id = excluded.event_id, evidence = excluded.evidence, occurred_at = excluded.occurred_at,
         log_partition = excluded.log_partition, log_offset = excluded.log_offset, updated_at = now(),
         status = CASE
           WHEN excluded.status = 'open' AND anomalies.status = 'resolved' THEN 'open'
           WHEN excluded.status = 'resolved' AND anomalies.status IN ('open', 'acknowledged') THEN 'resolved'
           ELSE anomalies.status END,
         resolved_at = CASE
           WHEN excluded.status = 'open' AND anomalies.status = 'resolved' THEN NULL
           WHEN excluded.status = 'resolved' AND anomalies.status IN ('open', 'acknowledged') THEN now()
           ELSE anomalies.resolved_at END`,
        [
          column((c) => c.anomaly.id),
          column((c) => c.anomaly.orgId),
          column((c) => c.anomaly.kind),
          column((c) => c.anomaly.subject),
          column((c) => c.anomaly.severity),
          column((c) => c.anomaly.score),
          column((c) => c.anomaly.eventId),
          column((c) => c.anomaly.bookingId),
          column((c) => c.anomaly.weddingId),
          column((c) => JSON.stringify(c.anomaly.evidence)),
          column((c) => c.anomaly.occurredAt),
          column((c) => c.partition),
          column((c) => c.offset),
          column((c) => (c.open ? "open" : "resolved")),
        ],
      ),
    );
  }
  if (retracted.length > 0) {
    writes.push(
      tx.query("DELETE FROM anomalies WHERE id = ANY($1::text[]) AND status IN ('open', 'resolved')", [retracted]),
    );
    writes.push(
      tx.query(
        `UPDATE anomalies SET status = 'resolved', resolved_at = now(), updated_at = now()
       WHERE id = ANY($1::text[]) AND status = 'acknowledged'`,
        [retracted],
      ),
    );
  }
  if (foundOrphans.length > 0) {
    writes.push(
      tx.query(
        `UPDATE anomalies SET status = 'resolved', resolved_at = now(), updated_at = now()
       WHERE id = ANY($1::text[]) AND status IN ('open', 'acknowledged')`,
        [foundOrphans],
      ),
    );
  }
  await Promise.all(writes);
}

/** The group's offsets in Postgres: where each partition resumes, and any range left pending. */
export async function loadOffsets(
  sql: SqlClient,
  group: string,
  topic: string,
): Promise<Map<number, { next: number; pendingEnd: number | null }>> {
  const rows = await sql.query<{ partition: number; next_offset: number; pending_end: number | null }>(
    "SELECT partition, next_offset, pending_end FROM consumer_offsets WHERE group_id = $1 AND topic = $2",
    [group, topic],
  );
  return new Map(
    rows.map((r) => [
      Number(r.partition),
      { next: Number(r.next_offset), pendingEnd: r.pending_end === null ? null : Number(r.pending_end) },
    ]),
  );
}
