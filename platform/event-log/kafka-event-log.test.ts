import { randomUUID } from "node:crypto";
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { describeEventLogContract, waitFor } from "./event-log.contract.ts";
import type { EventLog, LogMessage } from "./event-log.ts";
import { createKafkaEventLog } from "./kafka-event-log.ts";

// Tests may read the environment; the adapter itself gets its brokers from the composition root.
const brokers = process.env.KAFKA_BROKERS?.split(",").filter((broker) => broker.length > 0) ?? [];

if (brokers.length === 0) {
  console.info("KAFKA_BROKERS not set: Kafka event log contract skipped");
}

describe.skipIf(brokers.length === 0)("kafka event log", () => {
  // Every test uses its own random topics and groups (see the contract), so one broker serves them all.
  // Every consumer joins a group, and so does each log's reader of a topic, once, on its first `read`: brokers with
  // group.initial.rebalance.delay.ms=0 make those joins fast.
  describeEventLogContract(
    "kafka",
    async () => {
      const clientId = `wedsync-test-${randomUUID()}`;
      const opened: EventLog[] = [];
      const connect = async () => {
        const log = await createKafkaEventLog({ brokers, clientId, partitions: 4 });
        opened.push(log);
        return log;
      };
      return {
        log: await connect(),
        reopen: connect,
        cleanup: async () => {
          await Promise.all(opened.map((log) => log.close()));
        },
      };
    },
    { waitTimeoutMs: 60_000, testTimeoutMs: 180_000, propertyRuns: 5, readPageSize: 1000 },
  );
});

describe.skipIf(brokers.length === 0)("kafka event log topic settings", () => {
  const configsOf = async (admin: Admin, topic: string) => {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["retention.ms", "cleanup.policy"] }],
      includeSynonyms: false,
    });
    return Object.fromEntries(resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue]));
  };

  it("creates the topic it writes to with its partitions, never trimmed nor compacted", async () => {
    const topic = `wedsync-settings-${randomUUID()}`;
    const log = await createKafkaEventLog({ brokers, clientId: `wedsync-test-${randomUUID()}`, partitions: 3 });
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await log.endOffsets(topic)).toEqual([0, 0, 0]);
      expect(await configsOf(admin, topic)).toEqual({ "retention.ms": "-1", "cleanup.policy": "delete" });
    } finally {
      await Promise.allSettled([log.close(), admin.disconnect()]);
    }
  }, 60_000);

  it("refuses a topic whose settings contradict the log's, naming each and its fix", async () => {
    const topic = `wedsync-settings-${randomUUID()}`;
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const log = await createKafkaEventLog({ brokers, clientId: `wedsync-test-${randomUUID()}`, partitions: 4 });
    try {
      await admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: 2,
            configEntries: [
              { name: "retention.ms", value: "604800000" },
              { name: "cleanup.policy", value: "compact" },
            ],
          },
        ],
        waitForLeaders: true,
      });
      const append = log.append(topic, [{ key: "w-1", value: Buffer.from("{}") }]);
      await expect(append).rejects.toMatchObject({ code: "topic_misconfigured" });
      await expect(log.endOffsets(topic)).rejects.toThrow(
        /has 2 partitions but LOG_PARTITIONS is 4.*retention\.ms=604800000.*cleanup\.policy=compact/,
      );
    } finally {
      await Promise.allSettled([log.close(), admin.disconnect()]);
    }
  }, 60_000);
});

describe.skipIf(brokers.length === 0)("kafka event log reads", () => {
  /** What was appended where, to check reads against. */
  function ledger() {
    const messages = new Map<string, LogMessage>();
    const ends = [0, 0, 0, 0];
    return {
      ends,
      async append(log: EventLog, topic: string, batch: LogMessage[]) {
        const positions = await log.append(topic, batch);
        for (const [i, { partition, offset }] of positions.entries()) {
          messages.set(`${partition}/${offset}`, batch[i]!);
          ends[partition] = Math.max(ends[partition]!, offset + 1);
        }
      },
      expected(topic: string, partition: number, from: number, to: number) {
        return Array.from({ length: to - from }, (_, i) => {
          const { key, value } = messages.get(`${partition}/${from + i}`)!;
          return { topic, partition, offset: from + i, key, value };
        });
      },
    };
  }
  const messagesOf = (round: number, count: number): LogMessage[] =>
    Array.from({ length: count }, (_, i) => ({
      key: `wedding-${(round + i) % 23}`,
      value: Buffer.from(`${round}:${i}`),
    }));
  const withoutTimestamps = (records: { timestamp: number }[]) => records.map(({ timestamp, ...rest }) => rest);

  it("serves a stream of small reads, interleaved with appends, from the records appended, through one group", async () => {
    const clientId = `wedsync-test-${randomUUID()}`;
    const topic = `wedsync-reads-${randomUUID()}`;
    const log = await createKafkaEventLog({ brokers, clientId, partitions: 4 });
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const appended = ledger();
      await appended.append(log, topic, messagesOf(0, 300));
      for (let i = 0; i < 200; i++) {
        if (i % 40 === 39) await appended.append(log, topic, messagesOf(i, 25));
        const partition = (i * 7) % 4;
        const offset = (i * 37) % appended.ends[partition]!;
        const records = await log.read(topic, partition, offset, 1);
        expect(withoutTimestamps(records)).toEqual(appended.expected(topic, partition, offset, offset + 1));
      }
      // Concurrent reads, as the health probe makes them: one per partition, each up to its end.
      const ranges = appended.ends.map((end, partition) => ({ partition, from: Math.floor(end / 3), to: end }));
      const pages = await Promise.all(ranges.map(({ partition, from }) => log.read(topic, partition, from, 1000)));
      for (const [i, { partition, from, to }] of ranges.entries()) {
        expect(withoutTimestamps(pages[i]!)).toEqual(appended.expected(topic, partition, from, to));
      }
      // What the reads cost: one group per topic for the life of the log, not one per read.
      const { groups } = await admin.listGroups();
      expect(groups.filter(({ groupId }) => groupId.startsWith(clientId))).toHaveLength(1);
    } finally {
      await Promise.allSettled([log.close(), admin.disconnect()]);
    }
  }, 120_000);

  it("fails a read it cannot serve within its timeout, and serves the next", async () => {
    const topic = `wedsync-reads-${randomUUID()}`;
    const log = await createKafkaEventLog({
      brokers,
      clientId: `wedsync-test-${randomUUID()}`,
      partitions: 4,
      // Room for the group join of the reader that replaces the one the failed read retires (3 s on a broker with
      // Kafka's default group.initial.rebalance.delay.ms).
      readTimeoutMs: 5_000,
    });
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const appended = ledger();
      await appended.append(
        log,
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: "one", value: Buffer.from(`${i}`) })),
      );
      const partition = appended.ends.findIndex((end) => end > 0);
      expect(withoutTimestamps(await log.read(topic, partition, 0, 1))).toEqual(
        appended.expected(topic, partition, 0, 1),
      );
      // The log never trims itself; trimmed by hand, offsets 0-4 are gone, and a read from 0 cannot be served.
      // kafkajs's admin finds the partition's leader only in metadata it has already fetched.
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: "5" }] });
      await expect(log.read(topic, partition, 0, 10)).rejects.toMatchObject({ code: "infrastructure_error" });
      const records = await log.read(topic, partition, 5, 10);
      expect(withoutTimestamps(records)).toEqual(appended.expected(topic, partition, 5, 10));
    } finally {
      await Promise.allSettled([log.close(), admin.disconnect()]);
    }
  }, 60_000);

  it("settles the reads close cuts short, and refuses reads once closed", async () => {
    const topic = `wedsync-reads-${randomUUID()}`;
    const log = await createKafkaEventLog({ brokers, clientId: `wedsync-test-${randomUUID()}`, partitions: 4 });
    try {
      const appended = ledger();
      await appended.append(log, topic, messagesOf(0, 100));
      const reads = Array.from({ length: 20 }, (_, i) => ({ partition: i % 4, offset: Math.floor(i / 4) }));
      let settled = 0;
      const outcomes = Promise.allSettled(
        reads.map(({ partition, offset }) => log.read(topic, partition, offset, 5).finally(() => settled++)),
      );
      // Closes once the reader is busy: some reads done, the others waiting for it or being fetched.
      await waitFor(() => settled >= 3, 30_000, "the first reads");
      await log.close();
      for (const [i, outcome] of (await outcomes).entries()) {
        const { partition, offset } = reads[i]!;
        if (outcome.status === "fulfilled") {
          const to = Math.min(offset + 5, appended.ends[partition]!);
          expect(withoutTimestamps(outcome.value)).toEqual(appended.expected(topic, partition, offset, to));
        } else {
          expect(outcome.reason).toMatchObject({ code: "log_unavailable" });
        }
      }
      await expect(log.read(topic, 0, 0, 1)).rejects.toMatchObject({ code: "log_unavailable" });
    } finally {
      await log.close();
    }
  }, 60_000);
});
