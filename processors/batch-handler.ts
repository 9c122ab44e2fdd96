import type { ClickHouseClient } from "@clickhouse/client";
import type { CrashHook } from "../platform/crash-points.ts";
import type { EventLog, LogBatch, LogRecord } from "../platform/event-log/event-log.ts";
import type { Logger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import type { ProcessRecords } from "./pipeline.ts";
import { commitBatchState, insertBatchRows, recordPendingRange, type BatchRange } from "./write-batch.ts";

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
}

/**
 * Handles batches of one consumer group, in this order (the order is what makes it effectively
 * once):
 * 1. record the batch's range in Postgres as pending (unless it is the pending range of a crash);
 * 2. insert the ClickHouse rows, with dedup tokens derived from that range;
 * 3. commit projections, anomalies and the new offset in one Postgres transaction;
 * 4. commit the offset to the log too (for lag tooling; Postgres is what the processor trusts).
 * A crash before 3 re-reads exactly the same range from the same Postgres state on restart, so it
 * yields the same rows (collapsed with any the crashed attempt kept by the ReplacingMergeTree key)
 * and applies the projections once; a crash after 3 resumes after the batch. `pendingEnds` holds
 * the ranges a crash left pending, by partition.
 */
export function createBatchHandler(deps: BatchHandlerDeps, pendingEnds: Map<number, number>) {
  const { log, sql, ch, logger, topic, group, crash } = deps;

  async function readRange(partition: number, from: number, to: number): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    while (from + out.length < to) {
      const more = await log.read(topic, partition, from + out.length, to - from - out.length);
      if (more.length === 0) throw new Error(`log partition ${partition} ends before the pending range end ${to}`);
      out.push(...more);
    }
    return out;
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
        // Exactly the range recorded before the crash: the same tokens make the inserts no-ops.
        chunk = records.filter((r) => r.offset < pendingEnd);
        const next = chunk[chunk.length - 1]!.offset + 1;
        if (next < pendingEnd) chunk = chunk.concat(await readRange(partition, next, pendingEnd));
      }
      pendingEnds.delete(partition);
      const range: BatchRange = { group, topic, partition, from, to: chunk[chunk.length - 1]!.offset + 1 };
      const outcome = await deps.processRecords(chunk);
      if (!isPendingRange) await recordPendingRange(sql, range);
      crash("process.before-clickhouse-insert");
      crash("process.during-clickhouse-insert");
      await insertBatchRows(ch, range, outcome, { recovery: isPendingRange });
      crash("process.after-clickhouse-insert");
      crash("process.during-postgres-commit");
      await commitBatchState(sql, range, outcome);
      crash("process.after-postgres-commit");
      await log.commit(group, topic, partition, range.to);
      logger.debug({ event: "processor.batch", ...range, ...outcome.counts }, "batch processed");
      records = records.filter((r) => r.offset >= range.to);
    }
  };
}
