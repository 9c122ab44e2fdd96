import { randomUUID } from "node:crypto";
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { describeEventLogContract } from "./event-log.contract.ts";
import type { EventLog } from "./event-log.ts";
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
