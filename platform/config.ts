import path from "node:path";
import { z } from "zod";
import { parseCrashPoints, type CrashPoint } from "./crash-points.ts";
import type { HttpServerLimits } from "./http/start-http-server.ts";
import { parseTierLimits, type TierLimits } from "./rate-limit/tier-limits.ts";
import { EVENTS_TOPIC } from "../schemas/log-message.ts";

const url = (name: string) =>
  z
    .string()
    .refine((value) => URL.canParse(value), `"${name}" is not a URL`)
    .optional();

const integer = (name: string, min: number, max: number) =>
  z.coerce
    .number({ message: `"${name}" is not a number` })
    .int(`"${name}" must be an integer`)
    .min(min, `"${name}" must be at least ${min}`)
    .max(max, `"${name}" must be at most ${max}`);

const ConfigSchema = z.object({
  /** Where embedded engines keep their files (log, ClickHouse, Postgres, reports). Default ./data. */
  DATA_DIR: z.string().min(1).default("./data"),
  /** HTTP port. Default 8080. */
  PORT: integer("PORT", 0, 65_535).default(8080),
  /** HTTP bind address. Default 0.0.0.0. */
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Comma-separated Kafka brokers; absent means the embedded LMDB log. */
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^,\s]+(,[^,\s]+)*$/, '"KAFKA_BROKERS" must be host:port[,host:port…]')
    .optional(),
  /** ClickHouse server URL; absent means embedded chDB. */
  CLICKHOUSE_URL: url("CLICKHOUSE_URL"),
  /** Postgres URL; absent means embedded PGlite. */
  DATABASE_URL: url("DATABASE_URL"),
  /** Redis URL; absent means in-process cache and dedup window. */
  REDIS_URL: url("REDIS_URL"),
  /**
   * The topic every accepted event is appended to. Several installations (staging and production, say) can share one
   * Kafka cluster under different topics. Default wedsync.events.v1.
   */
  EVENTS_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, '"EVENTS_TOPIC" must be 1 to 249 of the characters A-Z a-z 0-9 . _ -')
    .default(EVENTS_TOPIC),
  /**
   * The consumer group of the processors: every processor of one installation joins it and they share the topic's
   * partitions. Default wedsync-processors.
   */
  PROCESSOR_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, '"PROCESSOR_GROUP" must be 1 to 249 of the characters A-Z a-z 0-9 . _ -')
    .default("wedsync-processors"),
  /**
   * How long the Kafka consumer group waits for a processor that stopped answering (a crash, a lost machine) before it
   * hands that processor's partitions to the others, ms. Lower fails over sooner; it must stay within the broker's
   * group.min.session.timeout.ms and group.max.session.timeout.ms (6000 and 1800000 by default). Default 30000.
   */
  KAFKA_SESSION_TIMEOUT_MS: integer("KAFKA_SESSION_TIMEOUT_MS", 1000, 3_600_000).default(30_000),
  /**
   * Embedded log: appends are refused with 503 and Retry-After while the data directory's disk has less free space
   * than this, MiB, so a filling disk never fails a write half-way. 0 turns it off. Default 256.
   */
  LOG_MIN_FREE_MB: integer("LOG_MIN_FREE_MB", 0, 1_000_000_000).default(256),
  /** Partitions of the events topic (embedded log; Kafka topics are created with it). Default 4. */
  LOG_PARTITIONS: integer("LOG_PARTITIONS", 1, 256).default(4),
  /**
   * Longest time to receive one whole request, headers and body, from its first byte, ms; a slower client is answered
   * 408 and disconnected. It must let the largest body arrive at the slowest upload rate you serve: 10 MiB in 30 s is
   * about 350 KB/s. The app's own time on a request is not counted. Default 30000 (30 s).
   */
  HTTP_REQUEST_TIMEOUT_MS: integer("HTTP_REQUEST_TIMEOUT_MS", 100, 3_600_000).default(30_000),
  /** Longest time to receive one request's headers, ms; at most HTTP_REQUEST_TIMEOUT_MS. Default 10000 (10 s). */
  HTTP_HEADERS_TIMEOUT_MS: integer("HTTP_HEADERS_TIMEOUT_MS", 100, 3_600_000).default(10_000),
  /**
   * How long an idle keep-alive connection waits for its next request, ms. Behind a proxy or load balancer that reuses
   * connections, set it above the proxy's idle timeout. Default 5000 (5 s).
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer("HTTP_KEEP_ALIVE_TIMEOUT_MS", 100, 3_600_000).default(5_000),
  /**
   * Most client connections open at once, live feed streams included; further ones are closed as they arrive. Keep it
   * below the process's open-file limit, which the stores' files share. Default 1024.
   */
  HTTP_MAX_CONNECTIONS: integer("HTTP_MAX_CONNECTIONS", 1, 1_000_000).default(1024),
  /** Largest accepted request body, bytes. Default 10 MiB. */
  MAX_BODY_BYTES: integer("MAX_BODY_BYTES", 1024, 512 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Largest number of events in one ingest request. Default 10000. */
  MAX_BATCH_EVENTS: integer("MAX_BATCH_EVENTS", 1, 1_000_000).default(10_000),
  /** How long an event id is remembered for duplicate detection, hours. Default 720 (30 days). */
  DEDUP_WINDOW_HOURS: integer("DEDUP_WINDOW_HOURS", 1, 24 * 3650).default(720),
  /** Most events a processor takes from one partition per batch. Default 5000. */
  PROCESS_BATCH_SIZE: integer("PROCESS_BATCH_SIZE", 1, 100_000).default(5000),
  /**
   * How long a partition may hold waiting events without a processor committing any before /readyz reports the
   * processor stalled, seconds. Default 60.
   */
  PROCESSOR_STALL_SECONDS: integer("PROCESSOR_STALL_SECONDS", 1, 86_400).default(60),
  /**
   * How long a payment, refund, update or cancellation may wait for the booking or payment it names before it is
   * flagged as an orphan, seconds. Default 86400 (a day).
   */
  ORPHAN_GRACE_SECONDS: integer("ORPHAN_GRACE_SECONDS", 1, 31_536_000).default(86_400),
  /** Concurrent report jobs. Default 2. */
  REPORT_CONCURRENCY: integer("REPORT_CONCURRENCY", 1, 64).default(2),
  /** How often the live feed polls the processing watermark, ms. Default 1000. */
  LIVE_POLL_MS: integer("LIVE_POLL_MS", 10, 60_000).default(1000),
  /** How often an idle live feed connection gets a heartbeat comment, ms. Default 15000. */
  LIVE_HEARTBEAT_MS: integer("LIVE_HEARTBEAT_MS", 10, 300_000).default(15_000),
  /** Most live feed connections of one organisation at a time. Default 50. */
  LIVE_MAX_STREAMS_PER_ORG: integer("LIVE_MAX_STREAMS_PER_ORG", 1, 10_000).default(50),
  /**
   * Requests per organisation and window, per tier of the key used: `tier=requests/window,…` with window `s`, `min` or
   * `h`. Tiers not named keep their defaults: free=10/s, professional=100/s, enterprise=1000/s.
   */
  RATE_LIMITS: z
    .string()
    .default("")
    .transform((text, ctx) => {
      try {
        return parseTierLimits(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `"RATE_LIMITS": ${(error as Error).message}` });
        return z.NEVER;
      }
    }),
  /** Test-only: `point=probability,…` where the process SIGKILLs itself (see crash-points.ts). Default none. */
  WEDSYNC_TEST_CRASH_POINTS: z.string().default(""),
  /** pino log level. Default info. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** The validated configuration of one process; built once by the composition root. */
export interface Config {
  dataDir: string;
  port: number;
  host: string;
  /** Timeouts and connection cap of the HTTP server. */
  httpLimits: HttpServerLimits;
  kafkaBrokers: string[] | undefined;
  /** How long the Kafka group waits for a silent member before reassigning its partitions, ms. */
  kafkaSessionTimeoutMs: number;
  clickhouseUrl: string | undefined;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** The topic of accepted events. */
  eventsTopic: string;
  /** The processors' consumer group. */
  processorGroup: string;
  logPartitions: number;
  /** The embedded log's free-space floor, bytes. */
  logMinFreeBytes: number;
  maxBodyBytes: number;
  maxBatchEvents: number;
  dedupWindowMs: number;
  processBatchSize: number;
  /** Waiting without a commit longer than this is a stalled processor, ms. */
  processorStallMs: number;
  /** How long a reference may wait for its referent before it is flagged as an orphan, ms. */
  orphanGraceMs: number;
  reportConcurrency: number;
  livePollMs: number;
  liveHeartbeatMs: number;
  liveMaxStreamsPerOrg: number;
  /** Request quota of each rate-limit tier, counted per organisation. */
  rateLimits: TierLimits;
  logLevel: z.infer<typeof ConfigSchema>["LOG_LEVEL"];
  /** Test-only crash points and their probabilities; empty in production. */
  testCrashPoints: Partial<Record<CrashPoint, number>>;
}

/** Thrown when the environment does not describe a valid configuration. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates configuration from an environment; every problem is named in one error. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
  }
  const c = parsed.data;
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
    // Node refuses a headers timeout longer than the request timeout; say so in the variables' names.
    throw new ConfigError(
      `invalid configuration: "HTTP_HEADERS_TIMEOUT_MS" (${c.HTTP_HEADERS_TIMEOUT_MS}) must not exceed "HTTP_REQUEST_TIMEOUT_MS" (${c.HTTP_REQUEST_TIMEOUT_MS})`,
    );
  }
  let testCrashPoints: Config["testCrashPoints"];
  try {
    testCrashPoints = parseCrashPoints(c.WEDSYNC_TEST_CRASH_POINTS);
  } catch (error) {
    throw new ConfigError(`invalid configuration: "WEDSYNC_TEST_CRASH_POINTS": ${(error as Error).message}`);
  }
  return {
    dataDir: path.resolve(c.DATA_DIR),
    port: c.PORT,
    host: c.HOST,
    httpLimits: {
      requestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: c.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: c.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: c.HTTP_MAX_CONNECTIONS,
    },
    kafkaBrokers: c.KAFKA_BROKERS?.split(","),
    kafkaSessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
    clickhouseUrl: c.CLICKHOUSE_URL,
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    eventsTopic: c.EVENTS_TOPIC,
    processorGroup: c.PROCESSOR_GROUP,
    logPartitions: c.LOG_PARTITIONS,
    logMinFreeBytes: c.LOG_MIN_FREE_MB * 2 ** 20,
    maxBodyBytes: c.MAX_BODY_BYTES,
    maxBatchEvents: c.MAX_BATCH_EVENTS,
    dedupWindowMs: c.DEDUP_WINDOW_HOURS * 3_600_000,
    processBatchSize: c.PROCESS_BATCH_SIZE,
    processorStallMs: c.PROCESSOR_STALL_SECONDS * 1000,
    orphanGraceMs: c.ORPHAN_GRACE_SECONDS * 1000,
    reportConcurrency: c.REPORT_CONCURRENCY,
    livePollMs: c.LIVE_POLL_MS,
    liveHeartbeatMs: c.LIVE_HEARTBEAT_MS,
    liveMaxStreamsPerOrg: c.LIVE_MAX_STREAMS_PER_ORG,
    rateLimits: c.RATE_LIMITS,
    logLevel: c.LOG_LEVEL,
    testCrashPoints,
  };
}
