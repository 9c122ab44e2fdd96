import type { EventLog } from "../platform/event-log/event-log.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { loadOffsets } from "./write-batch.ts";

// The watermark is the processors' own account of how far they have got (their offsets in Postgres against the
// log's ends), so it lives with them; the query API and the live feed only read it, which keeps the dependency one
// way: query-api → processors, never the reverse. In platform/ it would have to import the processors' offsets table.

/** How far processing has got: processed offsets, log end offsets and the difference. */
export interface Watermark {
  /** Next offset to process, per partition. */
  processed: number[];
  /** End of the log, per partition. */
  end: number[];
  /** Events appended but not yet processed. */
  lag: number;
}

/** Where a group's progress is read from. */
export interface WatermarkSource {
  log: EventLog;
  sql: SqlClient;
  topic: string;
  group: string;
}

/** Reads the processing watermark of a group from Postgres and the log. */
export async function readWatermark({ log, sql, topic, group }: WatermarkSource): Promise<Watermark> {
  const [end, offsets] = await Promise.all([log.endOffsets(topic), loadOffsets(sql, group, topic)]);
  const processed = end.map((_, p) => offsets.get(p)?.next ?? 0);
  return { processed, end, lag: end.reduce((sum, e, p) => sum + Math.max(0, e - processed[p]!), 0) };
}
