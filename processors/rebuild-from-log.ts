import { createBatchHandler, type BatchHandlerDeps } from "./batch-handler.ts";
import { STATE_TABLES } from "./planner-statistics.ts";

/** ClickHouse tables derived from the log; a rebuild empties and refills them. */
export const DERIVED_CLICKHOUSE_TABLES = ["events", "rejected_events", "anomalies", "revenue_daily"] as const;

/** Postgres tables derived from the log; a rebuild empties and refills them. */
export const DERIVED_POSTGRES_TABLES = [...STATE_TABLES, "anomalies"] as const;

/** Reports progress of a rebuild: events replayed so far and in all. */
export type RebuildProgress = (done: number, total: number) => void;

/**
 * Drops everything derived from the log and replays the log from offset 0 through the same batch
 * handler as live processing, so the result is what processing produced in the first place. The
 * anomalies' lifecycle (acknowledged, resolved) is the one thing users set by hand: it is kept
 * across the rebuild by anomaly id, which is deterministic. Processors of the group must be
 * stopped while it runs.
 */
export async function rebuildFromLog(
  deps: BatchHandlerDeps & { batchSize: number },
  onProgress: RebuildProgress = () => {},
): Promise<{ events: number; ms: number }> {
  const { log, sql, ch, topic, group, logger } = deps;
  const started = Date.now();
  const lifecycle = await sql.query<{ id: string; status: string }>(
    "SELECT id, status FROM anomalies WHERE status <> 'open'",
  );

  for (const table of DERIVED_CLICKHOUSE_TABLES) await ch.command({ query: `TRUNCATE TABLE IF EXISTS ${table}` });
  await sql.transaction(async (tx) => {
    await tx.query(`TRUNCATE ${DERIVED_POSTGRES_TABLES.join(", ")}`);
    await tx.query("DELETE FROM consumer_offsets WHERE group_id = $1 AND topic = $2", [group, topic]);
  });
  logger.info(
    { event: "rebuild.cleared", clickhouse: DERIVED_CLICKHOUSE_TABLES, postgres: DERIVED_POSTGRES_TABLES },
    "derived stores cleared",
  );

  const ends = await log.endOffsets(topic);
  const total = ends.reduce((a, b) => a + b, 0);
  const handleBatch = createBatchHandler(deps, new Map());
  let done = 0;
  onProgress(done, total);
  for (let partition = 0; partition < ends.length; partition++) {
    let offset = 0;
    while (offset < ends[partition]!) {
      const records = await log.read(topic, partition, offset, Math.min(deps.batchSize, ends[partition]! - offset));
      if (records.length === 0) break;
      await handleBatch({ topic, partition, records, highWatermark: ends[partition]! });
      offset += records.length;
      done += records.length;
      onProgress(done, total);
    }
  }

  if (lifecycle.length > 0) {
    await sql.query(
      `UPDATE anomalies a SET status = k.status FROM unnest($1::text[], $2::text[]) AS k(id, status) WHERE a.id = k.id`,
      [lifecycle.map((l) => l.id), lifecycle.map((l) => l.status)],
    );
  }
  const ms = Date.now() - started;
  logger.info({ event: "rebuild.done", events: done, ms }, "rebuilt from the log");
  return { events: done, ms };
}
