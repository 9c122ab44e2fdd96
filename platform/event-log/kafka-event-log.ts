import kafkajs, {
  Kafka,
  logLevel,
  Partitioners,
  type Consumer as KafkaConsumer,
  type KafkaMessage,
  type logCreator,
} from "kafkajs";
import { InfrastructureError, LogUnavailableError, WedSyncError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Consumer, EventLog, LogRecord } from "./event-log.ts";
import { createKafkaTopicReader, type KafkaTopicReader } from "./kafka-topic-reader.ts";
import { partitionFor } from "./partition-for.ts";

/** Options of the Kafka log. */
export interface KafkaEventLogOptions {
  /** Bootstrap brokers, host:port. */
  brokers: string[];
  /** Client id the brokers see; also prefixes the private groups of the readers that serve `read`. */
  clientId: string;
  /** Partitions a topic is created with when it does not exist yet; existing topics keep theirs. */
  partitions: number;
  /**
   * How long the group waits for a consumer that stopped heartbeating (a crashed process) before it hands that
   * consumer's partitions to the others, ms. Default 30000, kafkajs's.
   */
  sessionTimeoutMs?: number;
  /** Longest a `read` waits for its range once its turn at the topic's reader comes, ms. Default 30 000. */
  readTimeoutMs?: number;
  logger?: Logger;
}

/** Default of `readTimeoutMs`: room for a topic's first read, which also joins its reader's group (seconds). */
const READ_TIMEOUT_MS = 30_000;

/**
 * The settings the events topic is created with. The log is the source of truth — every derived store is rebuilt by
 * replaying it from offset 0 — so it is never trimmed by time or size, and never compacted (compaction keeps one
 * message per key, and a key is a wedding). On a real cluster, create it with replication.factor 3 and
 * min.insync.replicas 2: appends are acknowledged with acks=all, so an acknowledged event is then on two brokers.
 */
const TOPIC_CONFIG = [
  { name: "retention.ms", value: "-1" },
  { name: "retention.bytes", value: "-1" },
  { name: "cleanup.policy", value: "delete" },
];

/** What an existing topic says that contradicts what the log needs, each in a sentence naming the fix. */
function topicContradictions(
  topic: string,
  { partitions, configs }: { partitions: number; configs: Map<string, string> },
  expectedPartitions: number,
): string[] {
  const found: string[] = [];
  if (partitions !== expectedPartitions) {
    found.push(
      `topic ${topic} has ${partitions} partitions but LOG_PARTITIONS is ${expectedPartitions}: a wedding's events are ` +
        "placed by the partition count, so set LOG_PARTITIONS to the topic's count (or start on a new topic)",
    );
  }
  for (const name of ["retention.ms", "retention.bytes"]) {
    const value = configs.get(name);
    if (value !== undefined && value !== "-1") {
      found.push(
        `topic ${topic} has ${name}=${value}: the log is the source of truth and must keep every event; set ${name}=-1`,
      );
    }
  }
  const cleanup = configs.get("cleanup.policy");
  if (cleanup?.includes("compact")) {
    found.push(
      `topic ${topic} has cleanup.policy=${cleanup}: compaction keeps one event per wedding; set cleanup.policy=delete`,
    );
  }
  return found;
}

// kafkajs is CommonJS: Node's ESM loader finds some of its exports by name but not this one, so it is read off the
// module object.
const { ConfigResourceTypes } = kafkajs;

/** A consumer of this process, kept so `commit` can go through the group's live member. */
interface LiveConsumer {
  kafka: KafkaConsumer;
  consumer: Consumer;
}

/**
 * Connects the event log to Kafka. Messages go to the partition `partitionFor` gives (the same as the
 * embedded log), through an idempotent producer with acks=all, so a resolved append is on every in-sync
 * replica and a retried send is written once.
 */
export async function createKafkaEventLog(options: KafkaEventLogOptions): Promise<EventLog> {
  const { brokers, clientId, readTimeoutMs = READ_TIMEOUT_MS, logger } = options;
  const kafka = new Kafka({
    clientId,
    brokers,
    logLevel: logger ? logLevel.INFO : logLevel.NOTHING,
    logCreator: pinoLogCreator(logger),
  });
  // The readers' own client: kafkajs logs every pause and resume at INFO, and a reader does both on every read.
  const readerKafka = new Kafka({
    clientId,
    brokers,
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    logCreator: pinoLogCreator(logger),
  });
  const admin = kafka.admin();
  // The explicit partition on every message bypasses the partitioner; naming one only silences kafkajs's
  // warning about its v2 default.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await admin.connect();
    await producer.connect();
  } catch (error) {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    throw new InfrastructureError(`cannot connect to Kafka at ${brokers.join(",")}`, { cause: error });
  }
  const partitionCounts = new Map<string, Promise<number>>();
  const consumers = new Map<string, LiveConsumer>();
  const readers = new Map<string, KafkaTopicReader>();
  let closing: Promise<void> | undefined;
  logger?.info({ event: "event_log_opened", kind: "kafka", brokers }, "Kafka event log connected");

  function ensureOpen(): void {
    if (closing) throw new LogUnavailableError("the event log is closed");
  }

  function partitionsOf(topic: string): Promise<number> {
    let count = partitionCounts.get(topic);
    if (!count) {
      count = (async () => {
        let described: { partitions: number; configs: Map<string, string> };
        try {
          // Created only when missing: asking for an existing one makes kafkajs log an error on every start. (Two
          // processes starting at once may both ask; the second is refused, harmlessly.) Either way the topic's
          // metadata and configuration below say what it really is.
          if (!(await admin.listTopics()).includes(topic)) {
            await admin.createTopics({
              topics: [{ topic, numPartitions: options.partitions, configEntries: TOPIC_CONFIG }],
              waitForLeaders: true,
            });
          }
          const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
          const found = topics.find((metadata) => metadata.name === topic);
          if (!found) throw new Error(`no metadata for topic ${topic}`);
          const { resources } = await admin.describeConfigs({
            resources: [
              { type: ConfigResourceTypes.TOPIC, name: topic, configNames: TOPIC_CONFIG.map((entry) => entry.name) },
            ],
            includeSynonyms: false,
          });
          const configs = new Map(
            (resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
          );
          described = { partitions: found.partitions.length, configs };
        } catch (error) {
          partitionCounts.delete(topic);
          throw new InfrastructureError(`cannot create or describe topic ${topic}`, { cause: error });
        }
        const contradictions = topicContradictions(topic, described, options.partitions);
        if (contradictions.length > 0) {
          partitionCounts.delete(topic);
          throw new WedSyncError("topic_misconfigured", contradictions.join("; "), {
            details: { topic, contradictions },
          });
        }
        return described.partitions;
      })();
      partitionCounts.set(topic, count);
    }
    return count;
  }

  async function checkedPartition(topic: string, partition: number): Promise<void> {
    const count = await partitionsOf(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new WedSyncError("unknown_partition", `topic ${topic} has no partition ${partition} (it has ${count})`);
    }
  }

  async function endOffsetsOf(topic: string): Promise<number[]> {
    const count = await partitionsOf(topic);
    let offsets: Awaited<ReturnType<typeof admin.fetchTopicOffsets>>;
    try {
      offsets = await admin.fetchTopicOffsets(topic);
    } catch (error) {
      throw new InfrastructureError(`cannot fetch end offsets of ${topic}`, { cause: error });
    }
    const ends = new Array<number>(count).fill(0);
    for (const { partition, high } of offsets) ends[partition] = Number(high);
    return ends;
  }

  /** The reader of a topic, made on the topic's first read and kept until the log closes. */
  function readerOf(topic: string): KafkaTopicReader {
    let reader = readers.get(topic);
    if (!reader) {
      reader = createKafkaTopicReader({
        kafka: readerKafka,
        topic,
        groupPrefix: `${clientId}-reader`,
        timeoutMs: readTimeoutMs,
      });
      readers.set(topic, reader);
    }
    return reader;
  }

  /**
   * Kafka has no "fetch this range" call in kafkajs's public API, so a range is read through the topic's reader: one
   * consumer, in a private group that never commits, which seeks to the range. Its group is joined once per topic and
   * log (seconds), after which a read costs a fetch: the processors' health probe and rebuilds read through here.
   */
  async function readRange(topic: string, partition: number, offset: number, limit: number): Promise<LogRecord[]> {
    await checkedPartition(topic, partition);
    const stopAt = Math.min((await endOffsetsOf(topic))[partition] ?? 0, offset + limit);
    if (limit <= 0 || offset >= stopAt) return [];
    // Checked again after the lookups: a reader made once `close` has begun would never be closed.
    ensureOpen();
    let messages: KafkaMessage[];
    try {
      messages = await readerOf(topic).read(partition, offset, stopAt);
    } catch (error) {
      throw new InfrastructureError(`cannot read ${topic}/${partition} from ${offset}`, { cause: error });
    }
    return messages.map((message) => toRecord(topic, partition, message));
  }

  return {
    async append(topic, messages) {
      ensureOpen();
      if (messages.length === 0) return [];
      const count = await partitionsOf(topic);
      const placed = messages.map((message) => ({
        key: message.key,
        value: message.value,
        partition: partitionFor(message.key, count),
      }));
      let written: Awaited<ReturnType<typeof producer.send>>;
      try {
        written = await producer.send({ topic, acks: -1, messages: placed });
      } catch (error) {
        throw new LogUnavailableError(`cannot append to topic ${topic}`, { cause: error });
      }
      // kafkajs sends all of one partition's messages of a send as one record batch, in order; the broker
      // answers with the batch's base offset, so the n-th message of a partition sits at base + n.
      const baseOffsets = new Map(written.map((result) => [result.partition, Number(result.baseOffset)]));
      const seen = new Map<number, number>();
      return placed.map(({ partition }) => {
        const base = baseOffsets.get(partition);
        if (base === undefined || Number.isNaN(base)) {
          throw new InfrastructureError(`Kafka returned no offset for ${topic}/${partition}`);
        }
        const index = seen.get(partition) ?? 0;
        seen.set(partition, index + 1);
        return { partition, offset: base + index };
      });
    },

    async read(topic, partition, offset, limit) {
      ensureOpen();
      try {
        return await readRange(topic, partition, offset, limit);
      } catch (error) {
        // A read that `close` cut short, at whichever step, says so rather than what failed under it.
        if (closing && !(error instanceof LogUnavailableError)) {
          throw new LogUnavailableError("the event log closed during a read", { cause: error });
        }
        throw error;
      }
    },

    async endOffsets(topic) {
      ensureOpen();
      return endOffsetsOf(topic);
    },

    /**
     * Joins the group with a kafkajs consumer (autoCommit off). On each assignment it asks `startAt` for
     * every assigned partition and seeks there; partitions without an answer resume from the group's
     * committed offset (the beginning if none). It never commits by itself: the caller commits with
     * `commit` once what it made of a batch is durable, so a crash replays, never skips.
     */
    async consume({ topic, group, maxBatchSize, startAt }, handler) {
      ensureOpen();
      if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
        throw new WedSyncError("invalid_argument", `maxBatchSize must be a positive integer, got ${maxBatchSize}`);
      }
      const count = await partitionsOf(topic);
      const id = JSON.stringify([group, topic]);
      if (consumers.has(id)) {
        throw new WedSyncError("consumer_group_busy", `group ${group} already consumes topic ${topic} in this process`);
      }
      const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
      const kafkaConsumer = kafka.consumer({
        groupId: group,
        allowAutoTopicCreation: false,
        sessionTimeout,
        // Kafka's rule of thumb: a third of the session timeout, so two missed heartbeats do not end the membership.
        heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
      });
      // Next offset to hand over per assigned partition; filters out anything a fetch returns below it.
      const positions = new Map<number, number>();
      // Per partition of the current assignment: resolves true once its startAt answer is applied.
      const starts = new Map<number, Promise<boolean>>();
      let failure: { error: unknown } | undefined;
      let stopping: Promise<void> | undefined;
      let settle: () => void = () => undefined;
      const done = new Promise<void>((resolve, reject) => {
        settle = () => (failure ? reject(failure.error) : resolve());
      });
      // Reported through `done`; this keeps a caller that only calls stop() from an unhandled rejection.
      done.catch(() => undefined);

      function shutdown(): Promise<void> {
        stopping ??= (async () => {
          try {
            // Waits for the batch in flight, then leaves the group.
            await kafkaConsumer.disconnect();
          } catch (error) {
            failure ??= { error };
          }
          consumers.delete(id);
          settle();
        })();
        return stopping;
      }

      function fail(error: unknown, partition?: number): void {
        if (!failure) {
          failure = { error };
          logger?.error(
            { event: "event_log_consumer_failed", topic, group, partition, err: error },
            "consumer stopped by a failure",
          );
        }
        // Not awaited: this runs inside eachBatch, and disconnect waits for eachBatch to return.
        void shutdown();
      }

      async function applyStart(partition: number): Promise<boolean> {
        try {
          const wanted = await startAt?.(partition);
          if (wanted !== undefined) {
            positions.set(partition, wanted);
            kafkaConsumer.seek({ topic, partition, offset: String(wanted) });
          }
          return true;
        } catch (error) {
          fail(error, partition);
          return false;
        }
      }

      kafkaConsumer.on(kafkaConsumer.events.GROUP_JOIN, (event) => {
        positions.clear();
        starts.clear();
        const assigned = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
        // Which member reads which partition is what an operator asks first when one process lags or another dies.
        logger?.info(
          {
            event: "event_log_partitions_assigned",
            topic,
            group,
            memberId: event.payload.memberId,
            partitions: assigned,
          },
          `group ${group} gave this consumer partitions [${assigned.join(", ")}] of ${topic}`,
        );
        for (const partition of assigned) starts.set(partition, applyStart(partition));
      });
      kafkaConsumer.on(kafkaConsumer.events.CRASH, (event) => {
        if (!event.payload.restart) fail(event.payload.error);
      });

      const consumer: Consumer = { done, stop: shutdown };
      consumers.set(id, { kafka: kafkaConsumer, consumer });
      try {
        await kafkaConsumer.connect();
        await kafkaConsumer.subscribe({ topics: [topic], fromBeginning: true });
        await kafkaConsumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: count,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            const { partition } = batch;
            if (!(await (starts.get(partition) ?? true))) return;
            // A seek from startAt is pending: this batch came from the old position; the next fetch
            // starts at the sought offset.
            if (failure || !isRunning() || isStale()) return;
            const from = positions.get(partition) ?? Number(batch.firstOffset() ?? batch.highWatermark);
            const records = batch.messages
              .filter((message) => Number(message.offset) >= from)
              .map((message) => toRecord(topic, partition, message));
            for (let start = 0; start < records.length; start += maxBatchSize) {
              if (failure || !isRunning() || isStale()) return;
              const slice = records.slice(start, start + maxBatchSize);
              try {
                await handler({ topic, partition, records: slice, highWatermark: Number(batch.highWatermark) });
              } catch (error) {
                fail(error, partition);
                return;
              }
              const last = slice.at(-1)?.offset ?? from;
              positions.set(partition, last + 1);
              // Resolving moves kafkajs's fetch position only; with autoCommit off nothing is committed.
              resolveOffset(String(last));
              await heartbeat();
            }
            positions.set(partition, Math.max(positions.get(partition) ?? 0, Number(batch.lastOffset()) + 1));
            resolveOffset(batch.lastOffset());
          },
        });
      } catch (error) {
        consumers.delete(id);
        await kafkaConsumer.disconnect().catch(() => undefined);
        throw new InfrastructureError(`cannot start consumer of group ${group} on ${topic}`, { cause: error });
      }
      return consumer;
    },

    /**
     * Commits through this process's live consumer of the group when there is one (a group with members
     * takes commits only from them). Otherwise through the admin client, which Kafka accepts only while
     * the group has no running members: committing for a group consumed in another process fails.
     */
    async commit(group, topic, partition, offset) {
      ensureOpen();
      await checkedPartition(topic, partition);
      const live = consumers.get(JSON.stringify([group, topic]));
      try {
        if (live) {
          await live.kafka.commitOffsets([{ topic, partition, offset: String(offset) }]);
        } else {
          await admin.setOffsets({ groupId: group, topic, partitions: [{ partition, offset: String(offset) }] });
        }
      } catch (error) {
        throw new InfrastructureError(`cannot commit offset of group ${group} on ${topic}/${partition}`, {
          cause: error,
        });
      }
    },

    close() {
      closing ??= (async () => {
        await Promise.all([
          ...[...consumers.values()].map(({ consumer }) => consumer.stop()),
          ...[...readers.values()].map((reader) => reader.close()),
        ]);
        await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
        logger?.info({ event: "event_log_closed", kind: "kafka" }, "Kafka event log disconnected");
      })();
      return closing;
    },
  };
}

function toRecord(topic: string, partition: number, message: KafkaMessage): LogRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key?.toString("utf8") ?? "",
    value: message.value ?? Buffer.alloc(0),
    timestamp: Number(message.timestamp),
  };
}

/** Sends kafkajs's own log lines to pino, under one stable event name. */
function pinoLogCreator(logger: Logger | undefined): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      if (!logger) return;
      const { message, ...details } = log;
      const entry = { event: "kafka_client", namespace, ...details };
      if (level === logLevel.ERROR) logger.error(entry, message);
      else if (level === logLevel.WARN) logger.warn(entry, message);
      else if (level === logLevel.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}
