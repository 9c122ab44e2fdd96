import { randomUUID } from "node:crypto";
import { describe } from "vitest";
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
  // Each `read` joins a throw-away group: brokers with group.initial.rebalance.delay.ms=0 make that fast.
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
