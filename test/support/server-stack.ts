import { randomUUID } from "node:crypto";
import { describe } from "vitest";
import { makePgSchema } from "./pg-schema.ts";

/** Kafka brokers CI exports (infra/kafka/start-kafka.sh); empty when none runs. */
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? "";

/** Environment that points an app at servers, and what undoes what was created on them for it. */
export interface ServerStack {
  /** Variables to start the app with (in process or as a child); the embedded engines fill in the rest. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** No servers: the embedded log, PGlite, chDB and the in-process cache. */
export async function embeddedStack(): Promise<ServerStack> {
  return { env: {}, dispose: async () => {} };
}

/**
 * The event log on the Kafka broker CI runs, under a topic and consumer group of this stack's own (tests share the
 * broker, never a topic); Postgres and Redis on the local servers when CI exports DATABASE_URL and REDIS_URL (a schema
 * of its own on Postgres), else embedded. ClickHouse stays embedded: there is no ClickHouse server here.
 */
export async function kafkaStack(name: string): Promise<ServerStack> {
  if (!KAFKA_BROKERS) throw new Error("kafkaStack needs KAFKA_BROKERS");
  const id = randomUUID().slice(0, 8);
  const env: Record<string, string> = {
    KAFKA_BROKERS,
    EVENTS_TOPIC: `wedsync-${name}-${id}`,
    PROCESSOR_GROUP: `wedsync-${name}-processors-${id}`,
    // The broker's least (group.min.session.timeout.ms): a killed processor's partitions move on after 6 s, not 30.
    KAFKA_SESSION_TIMEOUT_MS: "6000",
  };
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  const schema = process.env.DATABASE_URL ? await makePgSchema(process.env.DATABASE_URL) : undefined;
  if (schema) env.DATABASE_URL = schema.url;
  return { env, dispose: async () => schema?.dispose() };
}

/**
 * Defines a suite once on the embedded engines, and once more with the log on Kafka when KAFKA_BROKERS is set (saying
 * so when it is not). `what` names the suite in that line; `name` names its Kafka topic and consumer group.
 */
export function describeOnEachStack(
  what: string,
  name: string,
  define: (title: string, openStack: () => Promise<ServerStack>) => void,
): void {
  define("on embedded engines", embeddedStack);
  if (!KAFKA_BROKERS) console.info(`KAFKA_BROKERS not set: ${what} with the log on Kafka skipped`);
  describe.skipIf(!KAFKA_BROKERS)("on Kafka", () => {
    define("with the log on Kafka", () => kafkaStack(name));
  });
}
