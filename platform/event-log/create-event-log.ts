import path from "node:path";
import type { Logger } from "../logger.ts";
import type { EventLog } from "./event-log.ts";
import { createKafkaEventLog } from "./kafka-event-log.ts";
import { createLmdbEventLog } from "./lmdb-event-log.ts";

/** What chooses and configures the event log. */
export interface EventLogSettings {
  /** Kafka brokers (host:port); absent or empty means the embedded LMDB log. */
  kafkaBrokers: string[] | undefined;
  /** Data directory of the embedded engines; the LMDB log lives in `<dataDir>/log`. */
  dataDir: string;
  /** Partitions of a topic on first use (Kafka topics are created with it). */
  partitions: number;
  logger: Logger;
  /** How long a Kafka group waits for a silent member before reassigning its partitions, ms. Default 30000. */
  sessionTimeoutMs?: number;
  /** Embedded log: appends are refused while its disk has less free space than this, bytes. Default 0 (no floor). */
  minFreeBytes?: number;
  /** Kafka client id. Default "wedsync". */
  clientId?: string;
}

/** Opens the event log the configuration asks for: Kafka when brokers are given, else LMDB in the data directory. */
export async function createEventLog(settings: EventLogSettings): Promise<EventLog> {
  const { kafkaBrokers, dataDir, partitions, logger } = settings;
  if (kafkaBrokers && kafkaBrokers.length > 0) {
    return createKafkaEventLog({
      brokers: kafkaBrokers,
      clientId: settings.clientId ?? "wedsync",
      partitions,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      logger,
    });
  }
  return createLmdbEventLog({
    path: path.join(dataDir, "log"),
    partitions,
    minFreeBytes: settings.minFreeBytes,
    logger,
  });
}
