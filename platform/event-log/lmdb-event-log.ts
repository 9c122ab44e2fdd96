import { open } from "lmdb";
import { InfrastructureError, LogUnavailableError, WedSyncError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { createAppendSignal } from "./append-signal.ts";
import { createDiskFloor } from "./disk-floor.ts";
import type { Consumer, EventLog, LogPosition, LogRecord } from "./event-log.ts";
import { decodeRecord, encodeRecord } from "./lmdb-record-codec.ts";
import { partitionFor } from "./partition-for.ts";
import { startPollingConsumer } from "./polling-consumer.ts";
import { createRecentRecords } from "./recent-records.ts";

/** Options of the embedded log. */
export interface LmdbEventLogOptions {
  /** Directory of the LMDB environment; created if missing. */
  path: string;
  /** Partitions a topic gets on first use; a topic that already exists keeps its stored count. */
  partitions: number;
  /** Appends are refused (log_unavailable) while the log's disk has less free space than this, bytes; 0: no floor. */
  minFreeBytes?: number;
  /**
   * The LMDB map's size when the environment opens, bytes (default: lmdb-js's). The map is not a limit: lmdb-js grows
   * it as the log fills, so the only way the log runs out of room is its disk, which the free-space floor guards.
   */
  initialMapBytes?: number;
  /**
   * How much of each partition's latest appends this process keeps in memory for its readers, bytes (default 4 MiB):
   * a consumer that keeps up reads from there, so the log's pages do not pile up in the process's memory (see
   * recent-records.ts). A consumer further behind reads the log itself.
   */
  recentBytesPerPartition?: number;
  logger?: Logger;
}

/** Default of `recentBytesPerPartition`: some two seconds of appends at 10,000 events/s over four partitions. */
const RECENT_BYTES_PER_PARTITION = 4 * 1024 * 1024;

/** How long a caught-up consumer waits before looking for appends made by another process on the path, ms. */
const CROSS_PROCESS_POLL_MS = 200;

/** Records are keyed in log order: ordered-binary sorts arrays element by element, numbers numerically. */
type RecordKey = [topic: string, partition: number, offset: number];
type MetaKey = ["partitions", string] | ["committed", string, string, number];

/**
 * Opens the embedded, durable event log: one LMDB environment at `path` holding a `records` database
 * (topic, partition, offset → key, timestamp, value) and a `meta` database (partition counts, committed
 * offsets). One consumer per group and topic per process; it owns every partition.
 */
export async function createLmdbEventLog(options: LmdbEventLogOptions): Promise<EventLog> {
  const { path, logger } = options;
  if (!Number.isInteger(options.partitions) || options.partitions < 1) {
    throw new WedSyncError("invalid_argument", `partitions must be a positive integer, got ${options.partitions}`);
  }
  let env: ReturnType<typeof open>;
  try {
    // lmdb-js defaults to overlappingSync on Linux and macOS, where a write's promise resolves when the
    // transaction is committed and visible but before it is flushed. Turning it off makes every commit
    // fsync before its promise resolves, so an append that resolved survives a power cut, not only a
    // process crash. Writes issued in one event turn still share one transaction (and one fsync).
    env = open({
      path,
      overlappingSync: false,
      maxDbs: 4,
      ...(options.initialMapBytes === undefined ? {} : { mapSize: options.initialMapBytes }),
    });
  } catch (error) {
    throw new InfrastructureError(`cannot open the event log at ${path}`, { cause: error });
  }
  const records = env.openDB<Buffer, RecordKey>({ name: "records", encoding: "binary" });
  const meta = env.openDB<number, MetaKey>({ name: "meta" });
  const signal = createAppendSignal();
  const floor = createDiskFloor(path, options.minFreeBytes ?? 0);
  const partitionCounts = new Map<string, number>();
  const consumers = new Map<string, Consumer>();
  const recent = createRecentRecords(options.recentBytesPerPartition ?? RECENT_BYTES_PER_PARTITION);
  let closing: Promise<void> | undefined;
  logger?.info({ event: "event_log_opened", kind: "lmdb", path }, "embedded event log opened");

  function ensureOpen(): void {
    if (closing) throw new LogUnavailableError("the event log is closed");
  }

  function endOffsetOf(topic: string, partition: number): number {
    // Walking backwards from the next partition's first possible key finds this partition's last record.
    const last = records.getKeys({ start: [topic, partition + 1], end: [topic, partition], reverse: true, limit: 1 });
    for (const key of last) return key[2] + 1;
    return 0;
  }

  function committedOffsetOf(group: string, topic: string, partition: number): number {
    return meta.get(["committed", group, topic, partition]) ?? 0;
  }

  function readRecords(topic: string, partition: number, offset: number, limit: number): LogRecord[] {
    const held = recent.read(topic, partition, offset, limit);
    if (held !== undefined) return held;
    const found: LogRecord[] = [];
    if (limit <= 0) return found;
    const range = records.getRange({ start: [topic, partition, offset], end: [topic, partition + 1], limit });
    for (const { key, value } of range) found.push({ topic, partition, offset: key[2], ...decodeRecord(value) });
    return found;
  }

  async function partitionsOf(topic: string): Promise<number> {
    const known = partitionCounts.get(topic);
    if (known !== undefined) return known;
    checkName("topic", topic);
    const key: MetaKey = ["partitions", topic];
    let count = meta.get(key);
    if (count === undefined) {
      try {
        // Re-read under the write lock: of two first uses racing (here or in another process), the first
        // stored count wins and both see it.
        count = await env.transaction(() => {
          const stored = meta.get(key);
          if (stored !== undefined) return stored;
          void meta.put(key, options.partitions);
          return options.partitions;
        });
      } catch (error) {
        throw new InfrastructureError(`cannot create topic ${topic}`, { cause: error });
      }
    }
    partitionCounts.set(topic, count);
    return count;
  }

  async function checkedPartition(topic: string, partition: number): Promise<void> {
    const count = await partitionsOf(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new WedSyncError("unknown_partition", `topic ${topic} has no partition ${partition} (it has ${count})`);
    }
  }

  return {
    async append(topic, messages) {
      ensureOpen();
      if (messages.length === 0) return [];
      await floor.check();
      const count = await partitionsOf(topic);
      const timestamp = Date.now();
      // Encode before the transaction so the write lock is held only for the puts.
      const entries = messages.map((message) => ({
        partition: partitionFor(message.key, count),
        value: encodeRecord({ key: message.key, value: message.value, timestamp }),
      }));
      let positions: LogPosition[];
      try {
        // Offsets are assigned inside the write transaction from the partition's last key as that
        // transaction sees it: appends batched into one transaction see each other's puts, and another
        // process appending to the same path waits for the write lock, so no offset is ever given twice.
        // The promise resolves once the transaction is committed and fsynced (see overlappingSync above).
        positions = await env.transaction(() => {
          const next = new Map<number, number>();
          return entries.map(({ partition, value }) => {
            const offset = next.get(partition) ?? endOffsetOf(topic, partition);
            next.set(partition, offset + 1);
            void records.put([topic, partition, offset], value);
            return { partition, offset };
          });
        });
      } catch (error) {
        throw new LogUnavailableError(`cannot append to topic ${topic}`, { cause: error });
      }
      const appended = new Map<number, LogRecord[]>();
      positions.forEach(({ partition, offset }, i) => {
        const record = { topic, partition, offset, ...decodeRecord(entries[i]!.value) };
        const ofPartition = appended.get(partition);
        if (ofPartition === undefined) appended.set(partition, [record]);
        else ofPartition.push(record);
      });
      for (const [partition, added] of appended) recent.add(topic, partition, added);
      signal.notify(topic);
      return positions;
    },

    async read(topic, partition, offset, limit) {
      ensureOpen();
      await checkedPartition(topic, partition);
      return readRecords(topic, partition, offset, limit);
    },

    async endOffsets(topic) {
      ensureOpen();
      const count = await partitionsOf(topic);
      return Array.from({ length: count }, (_, partition) => endOffsetOf(topic, partition));
    },

    /**
     * Starts the group's consumer of a topic; it owns every partition. It never commits by itself: the
     * caller commits (with `commit`) once what it made of a batch is durable, so a crash replays, never skips.
     */
    async consume(consumeOptions, handler) {
      ensureOpen();
      const { topic, group, maxBatchSize, startAt } = consumeOptions;
      checkName("group", group);
      if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
        throw new WedSyncError("invalid_argument", `maxBatchSize must be a positive integer, got ${maxBatchSize}`);
      }
      const count = await partitionsOf(topic);
      const id = JSON.stringify([group, topic]);
      if (consumers.has(id)) {
        throw new WedSyncError("consumer_group_busy", `group ${group} already consumes topic ${topic} in this process`);
      }
      const consumer = startPollingConsumer({
        source: {
          topic,
          partitions: count,
          startOffset: async (partition) => (await startAt?.(partition)) ?? committedOffsetOf(group, topic, partition),
          read: async (partition, offset, limit) => readRecords(topic, partition, offset, limit),
          endOffset: async (partition) => endOffsetOf(topic, partition),
          appendVersion: () => signal.version(topic),
          waitForAppend: (since, abort) => signal.wait(topic, since, CROSS_PROCESS_POLL_MS, abort),
        },
        group,
        maxBatchSize,
        handler,
        logger,
      });
      consumers.set(id, consumer);
      consumer.done.then(
        () => consumers.delete(id),
        () => consumers.delete(id),
      );
      return consumer;
    },

    async commit(group, topic, partition, offset) {
      ensureOpen();
      checkName("group", group);
      await checkedPartition(topic, partition);
      try {
        await meta.put(["committed", group, topic, partition], offset);
      } catch (error) {
        throw new InfrastructureError(`cannot commit offset of group ${group} on ${topic}/${partition}`, {
          cause: error,
        });
      }
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...consumers.values()].map((consumer) => consumer.stop()));
        await env.close();
        logger?.info({ event: "event_log_closed", kind: "lmdb", path }, "embedded event log closed");
      })();
      return closing;
    },
  };
}

/** Topic and group names become parts of ordered-binary keys, which cannot hold NUL characters. */
function checkName(what: "topic" | "group", name: string): void {
  if (name.length === 0 || name.includes("\u0000")) {
    throw new WedSyncError("invalid_argument", `${what} name must be non-empty and free of NUL characters`);
  }
}
