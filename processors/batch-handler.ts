import type { ClickHouseClient } from "@clickhouse/client";
import type { CrashHook } from "../platform/crash-points.ts";
import { OffsetsAheadOfLogError } from "../platform/errors.ts";
import type { EventLog, LogBatch, LogRecord } from "../platform/event-log/event-log.ts";
import type { Logger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import type { EventTally } from "./event-tally.ts";
import type { ProcessRecords } from "./pipeline.ts";
import { createPlannerStatistics } from "./planner-statistics.ts";
import { describeRefusal, storeRefusalOf } from "./store-refusal.ts";
import {
  commitBatchState,
  discardUncommittedRows,
  insertBatchRows,
  recordPendingRange,
  settleRevenue,
  type BatchRange,
} from "./write-batch.ts";

/** What handling batches needs. */
export interface BatchHandlerDeps {
  log: EventLog;
  sql: SqlClient;
  ch: ClickHouseClient;
  logger: Logger;
  processRecords: ProcessRecords;
  topic: string;
  group: string;
  crash: CrashHook;
  /** Told of every failure while handling a batch, a store's refusal included, before it is handled or thrown. */
  onFailure?: (error: unknown) => void;
  /**
   * Told what became of the events of each batch once the batch is committed. An attempt that fails (and is retried,
   * or written again in parts) is never told of, so a batch's events are told of once however often it was tried.
   */
  onCommitted?: (tally: EventTally) => void;
}

/**
 * Handles batches of one consumer group, in this order (the order is what makes it effectively
 * once):
 * 1. process the records, then settle the revenue totals the batch touches (settleRevenue): the
 *    pipeline reads only the state its events refer to, and the settling only committed totals, so
 *    both read nothing that steps 2–4 of this batch write;
 * 2. record the batch's range in Postgres as pending (unless it is the pending range of a crash);
 * 3. insert the ClickHouse rows, with dedup tokens derived from that range;
 * 4. commit projections, revenue totals, anomalies and the new offset in one Postgres transaction. Its statements run
 *    while step 3 does, and it commits only once the insert has succeeded (see commitBatchState), so Postgres never
 *    holds a batch whose ClickHouse rows failed;
 * 5. commit the offset to the log too, best effort (for lag tooling; Postgres is what the processor trusts);
 * 6. refresh the planner statistics of the state tables when enough has been written since the last time.
 * A crash before 4 re-reads exactly the same range from the same Postgres state on restart, so it
 * yields the same rows and the same totals (collapsed with any the crashed attempt kept by the
 * ReplacingMergeTree key) and applies the projections once; a crash after 4 resumes after the
 * batch. `pendingEnds` holds the ranges a crash left pending, by partition.
 *
 * No single event can stop processing: when a store refuses a range for a reason in the data (see
 * store-refusal.ts), the rows the failed attempt left in ClickHouse are discarded and the range is
 * written again in halves, down to the one event responsible, which is dead-lettered with the
 * store's words while its neighbours commit. Anything else (a lost connection, an unavailable store)
 * is thrown, and the processor retries the same range with backoff.
 */
export function createBatchHandler(deps: BatchHandlerDeps, pendingEnds: Map<number, number>) {
  const { log, sql, ch, logger, topic, group, crash } = deps;
  const statistics = createPlannerStatistics(sql, logger);

  async function readRange(partition: number, from: number, to: number): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    while (from + out.length < to) {
      const more = await log.read(topic, partition, from + out.length, to - from - out.length);
      if (more.length === 0) {
        // The range was read from this log before it was recorded as pending; a log that no longer holds it lost
        // records, or is not the log Postgres was fed from. Recomputing a shorter range would commit a different batch.
        throw new OffsetsAheadOfLogError(
          `Postgres recorded partition ${partition} of ${topic} as pending up to ${to}, but the log ends at ${from + out.length}; ` +
            "the database and the log do not belong together (check DATABASE_URL and DATA_DIR / KAFKA_BROKERS)",
        );
      }
      out.push(...more);
    }
    return out;
  }

  /**
   * Step 5. The log's committed offset only informs lag tooling (Postgres's is the one the processors trust), so a
   * refusal is logged, not thrown: on Kafka it is refused while the group still counts a member that died without
   * leaving (until its session times out), which a rebuild run just after a crash meets.
   */
  async function commitToLog(range: BatchRange): Promise<void> {
    try {
      await log.commit(group, topic, range.partition, range.to);
    } catch (error) {
      logger.warn(
        { event: "processor.log_commit_failed", partition: range.partition, offset: range.to, err: error },
        "the log did not take the committed offset (Postgres has it)",
      );
    }
  }

  /** Steps 1–6 for one range of records. */
  async function writeRange(
    partition: number,
    chunk: LogRecord[],
    {
      alreadyPending,
      freshToken,
      refused,
    }: { alreadyPending: boolean; freshToken: boolean; refused?: ReadonlyMap<number, string> },
  ): Promise<void> {
    const range: BatchRange = {
      group,
      topic,
      partition,
      from: chunk[0]!.offset,
      to: chunk[chunk.length - 1]!.offset + 1,
    };
    const outcome = await settleRevenue(sql, await deps.processRecords(chunk, { refused }));
    if (!alreadyPending) await recordPendingRange(sql, range);
    await commitBatchState(sql, range, outcome, async () => {
      crash("process.before-clickhouse-insert");
      crash("process.during-clickhouse-insert");
      await insertBatchRows(ch, range, outcome, { freshToken });
      crash("process.after-clickhouse-insert");
      crash("process.during-postgres-commit");
    });
    deps.onCommitted?.(outcome.tally);
    crash("process.after-postgres-commit");
    await commitToLog(range);
    await statistics.afterCommit(chunk.length);
    logger.debug({ event: "processor.batch", ...range, ...outcome.counts }, "batch processed");
  }

  /**
   * Writes a range; if a store refuses it, finds the refused events by halving and dead-letters each on its own. The
   * parts are written in log order, each committed before the next starts, so offsets stay contiguous. Every attempt
   * after a refusal takes a fresh dedup token, since the discarded rows' tokens may still be in ClickHouse's log.
   */
  async function writeIsolating(
    partition: number,
    chunk: LogRecord[],
    alreadyPending: boolean,
    freshToken: boolean,
  ): Promise<void> {
    try {
      await writeRange(partition, chunk, { alreadyPending, freshToken });
      return;
    } catch (error) {
      const refusal = storeRefusalOf(error);
      if (refusal === undefined) throw error;
      deps.onFailure?.(error);
      const from = chunk[0]!.offset;
      const to = chunk[chunk.length - 1]!.offset + 1;
      logger.warn(
        {
          event: "processor.store_refused",
          partition,
          from,
          to,
          store: refusal.store,
          code: refusal.code,
          reason: refusal.message,
        },
        "a store refused part of a batch; isolating it",
      );
      await discardUncommittedRows(ch, partition, from);
      if (chunk.length === 1) {
        const message = describeRefusal(refusal);
        await writeRange(partition, chunk, {
          alreadyPending: false,
          freshToken: true,
          refused: new Map([[from, message]]),
        });
        logger.warn(
          { event: "processor.dead_lettered", partition, offset: from, reason: "store_refused", message },
          "event dead-lettered",
        );
        return;
      }
      const half = Math.ceil(chunk.length / 2);
      await writeIsolating(partition, chunk.slice(0, half), false, true);
      await writeIsolating(partition, chunk.slice(half), false, true);
    }
  }

  return async function handleBatch(batch: LogBatch): Promise<void> {
    const partition = batch.partition;
    let records = batch.records;
    while (records.length > 0) {
      const from = records[0]!.offset;
      const pendingEnd = pendingEnds.get(partition);
      const isPendingRange = pendingEnd !== undefined && pendingEnd > from;
      let chunk = records;
      if (isPendingRange) {
        // Exactly the range recorded before the crash, recomputed from the same Postgres state: the same rows, written
        // under fresh tokens (see insertBatchRows) and collapsed with the crashed attempt's by the ReplacingMergeTree key.
        chunk = records.filter((r) => r.offset < pendingEnd);
        const next = chunk[chunk.length - 1]!.offset + 1;
        if (next < pendingEnd) chunk = chunk.concat(await readRange(partition, next, pendingEnd));
      }
      pendingEnds.delete(partition);
      await writeIsolating(partition, chunk, isPendingRange, isPendingRange);
      const to = chunk[chunk.length - 1]!.offset + 1;
      records = records.filter((r) => r.offset >= to);
    }
  };
}
