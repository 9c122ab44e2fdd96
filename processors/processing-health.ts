import type { EventLog } from "../platform/event-log/event-log.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { failureReasonOf } from "./store-refusal.ts";

/** How one partition's processing stands. */
export interface PartitionHealth {
  partition: number;
  /** Events appended and not yet processed. */
  waiting: number;
  /** Age of the oldest of them (its append time to now), ms; 0 when none waits. */
  oldestWaitingAgeMs: number;
  /**
   * How long the partition has had work it could do and did not commit any, ms: since its last commit or since its
   * oldest waiting event arrived, whichever is later; 0 when none waits.
   */
  stalledForMs: number;
}

/** How processing stands over every partition of a group. */
export interface ProcessingHealth {
  partitions: PartitionHealth[];
  /** Age of the oldest unprocessed event of any partition, ms. */
  oldestWaitingAgeMs: number;
}

/** Reads how processing stands now. */
export type ReadProcessingHealth = () => Promise<ProcessingHealth>;

/**
 * A reader of the processing health of a group from the stores alone (the log's end offsets and oldest waiting
 * records, Postgres's offsets and last commits), so any process can tell whether the processors, wherever they run,
 * move. The append time of the record a partition waits at is remembered until the partition moves on: a stalled
 * partition costs one log read, however often /readyz and /metrics ask (a read is cheap on LMDB, not on Kafka).
 */
export function createProcessingHealthReader({
  log,
  sql,
  topic,
  group,
  now = Date.now,
}: {
  log: EventLog;
  sql: SqlClient;
  topic: string;
  group: string;
  now?: () => number;
}): ReadProcessingHealth {
  const waitingSince = new Map<number, { offset: number; appendedAt: number }>();

  async function appendTimeAt(partition: number, offset: number, fallback: number): Promise<number> {
    const known = waitingSince.get(partition);
    if (known?.offset === offset) return known.appendedAt;
    const [record] = await log.read(topic, partition, offset, 1);
    const appendedAt = record?.timestamp ?? fallback;
    waitingSince.set(partition, { offset, appendedAt });
    return appendedAt;
  }

  return async function readProcessingHealth() {
    const [ends, rows] = await Promise.all([
      log.endOffsets(topic),
      sql.query<{ partition: number; next_offset: number; committed_at: Date | string | null }>(
        "SELECT partition, next_offset, committed_at FROM consumer_offsets WHERE group_id = $1 AND topic = $2",
        [group, topic],
      ),
    ]);
    const byPartition = new Map(rows.map((r) => [Number(r.partition), r]));
    const at = now();
    const partitions = await Promise.all(
      ends.map(async (end, partition): Promise<PartitionHealth> => {
        const row = byPartition.get(partition);
        const next = row === undefined ? 0 : Number(row.next_offset);
        const waiting = Math.max(0, end - next);
        if (waiting === 0) return { partition, waiting, oldestWaitingAgeMs: 0, stalledForMs: 0 };
        const arrived = await appendTimeAt(partition, next, at);
        const committed = row?.committed_at == null ? 0 : new Date(row.committed_at).getTime();
        return {
          partition,
          waiting,
          oldestWaitingAgeMs: Math.max(0, at - arrived),
          stalledForMs: Math.max(0, at - Math.max(arrived, committed)),
        };
      }),
    );
    return { partitions, oldestWaitingAgeMs: Math.max(0, ...partitions.map((p) => p.oldestWaitingAgeMs)) };
  };
}

/** The partitions that have waited longer than `stallMs` without a commit, as one sentence each; none when all move. */
export function describeStalls(health: ProcessingHealth, stallMs: number): string[] {
  return health.partitions
    .filter((p) => p.stalledForMs > stallMs)
    .map(
      (p) =>
        `partition ${p.partition} has committed nothing for ${Math.round(p.stalledForMs / 1000)} s while ${p.waiting} events wait`,
    );
}

/** What the processor's readiness probe reads. */
export interface ProcessorStallProbeDeps {
  readHealth: ReadProcessingHealth;
  /** This process's processing failures; the last one's words explain a stall. */
  failures: ProcessingFailures;
  /** How long a partition may have events waiting and no commit before it counts as stalled, ms. */
  stallMs: number;
}

/**
 * The readiness probe of a process running the processor: it is not ready while a partition cannot move (events wait
 * and nothing commits). Resolves with why (every stalled partition, and this process's last failure) or with nothing.
 */
export function createProcessorStallProbe({
  readHealth,
  failures,
  stallMs,
}: ProcessorStallProbeDeps): () => Promise<string | undefined> {
  return async function probeProcessorStall() {
    const stalls = describeStalls(await readHealth(), stallMs);
    if (stalls.length === 0) return undefined;
    const last = failures.last ? `; last failure (${failures.last.reason}): ${failures.last.message}` : "";
    return `stalled: ${stalls.join("; ")}${last}`;
  };
}

/** The processing failures of this process, counted by reason (see failureReasonOf), with the last one's words. */
export class ProcessingFailures {
  private readonly counts = new Map<string, number>();
  /** The last failure recorded, if any. */
  last: { reason: string; message: string; at: Date } | undefined;

  /** Counts a failure under its reason and remembers it as the last. */
  record(error: unknown): void {
    const reason = failureReasonOf(error);
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.last = { reason, message: error instanceof Error ? error.message : String(error), at: new Date() };
  }

  /** Failures so far by reason. */
  byReason(): ReadonlyMap<string, number> {
    return this.counts;
  }
}
