import path from "node:path";
import { mkdir } from "node:fs/promises";
import type { ClickHouseClient } from "@clickhouse/client";
import { createAcceptEvents, type AcceptEvents } from "../ingest/accept-events.ts";
import { createIngestRoutes } from "../ingest/ingest-routes.ts";
import { createDedupStore } from "../platform/cache/create-dedup-store.ts";
import { createClickHouse } from "../platform/clickhouse/create-clickhouse.ts";
import { CLICKHOUSE_MIGRATIONS_DIR, migrateClickHouse } from "../platform/clickhouse/migrate.ts";
import type { Config } from "../platform/config.ts";
import { createCrashHook, noCrash } from "../platform/crash-points.ts";
import { createEventLog } from "../platform/event-log/create-event-log.ts";
import type { EventLog } from "../platform/event-log/event-log.ts";
import { createHttpApp, type Mount } from "../platform/http/create-http-app.ts";
import { createHttpMetrics } from "../platform/http/http-metrics.ts";
import { createReadinessChecks, createStoreProbes } from "../platform/http/readiness.ts";
import type { Logger } from "../platform/logger.ts";
import { createSqlClient } from "../platform/sql/create-sql-client.ts";
import { migrateSql, POSTGRES_MIGRATIONS_DIR } from "../platform/sql/migrate.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { createTierRateLimiter } from "../platform/rate-limit/tier-rate-limiter.ts";
import { createAdminRoutes } from "../platform/tenants/admin-routes.ts";
import { createAuthenticator } from "../platform/tenants/authenticate.ts";
import { EventTally } from "../processors/event-tally.ts";
import { createOrphanSweep } from "../processors/sweep-orphans.ts";
import { createPipeline } from "../processors/pipeline.ts";
import {
  createProcessingHealthReader,
  createProcessorStallProbe,
  ProcessingFailures,
} from "../processors/processing-health.ts";
import { createProcessor, type Processor } from "../processors/processor-runtime.ts";
import { rebuildFromLog, type RebuildProgress } from "../processors/rebuild-from-log.ts";
import { readWatermark, type Watermark } from "../processors/watermark.ts";
import { createAggregateRoutes } from "../query-api/aggregate-routes.ts";
import { createAnalyticsRoutes } from "../query-api/analytics-routes.ts";
import { createNamedAnalyticsRoutes } from "../query-api/named-analytics-routes.ts";
import { countPendingDeadLetters } from "../query-api/rejected-events-query.ts";
import { createRedriveRoutes, createRejectedEventsRoutes } from "../query-api/rejected-events-routes.ts";
import { createSendAnswer } from "../query-api/send-answer.ts";
import { createLiveFeed, type LiveFeed } from "../query-api/live-feed.ts";
import { createLiveRoutes } from "../query-api/live-routes.ts";
import type { Cache } from "../platform/cache/cache.ts";
import { createCache } from "../platform/cache/create-cache.ts";
import { createRenderReport } from "../reports/render-report.ts";
import { createReportJobs, type ReportJobs } from "../reports/report-jobs.ts";
import { createReportRoutes } from "../reports/report-routes.ts";
import { createReportScheduler, type ReportScheduler } from "../reports/report-schedules.ts";
import { ROLES, type Role } from "./roles.ts";

// The roles live in a module of their own so the CLI can list them without loading every engine this module loads;
// re-exported here for callers that build the app.
export { ROLES, type Role };

/** The wired application: stores, pipeline and HTTP app of one process. */
export interface App {
  config: Config;
  sql: SqlClient;
  ch: ClickHouseClient;
  log: EventLog;
  http: ReturnType<typeof createHttpApp>;
  acceptEvents: AcceptEvents;
  watermark(): Promise<Watermark>;
  reports: ReportJobs;
  /** The live feed behind GET /v1/live (api role only). */
  live: LiveFeed | undefined;
  /** Empties the derived stores and replays the log from offset 0 (processors must be stopped). */
  rebuild(onProgress?: RebuildProgress): Promise<{ events: number; ms: number }>;
  /** Starts the processor and the scheduler of the roles given; the HTTP server is the caller's. */
  start(): Promise<void>;
  /** Stops everything and closes every store, in dependency order. */
  close(): Promise<void>;
}

/** What a caller in this process may set beyond the configuration. */
export interface AppOptions {
  /** Today's UTC date for the live feed's tally; default from the system clock (tests pin it). */
  today?: () => string;
  /** The answer cache; default from configuration (Redis when REDIS_URL is set, else in-process). The app closes it. */
  answerCache?: Cache;
}

/**
 * The composition root: builds every adapter from configuration (each absent URL means its
 * embedded default), runs migrations, and assembles the pipeline and the HTTP app.
 */
export async function createApp(
  config: Config,
  logger: Logger,
  roles: readonly Role[] = ROLES,
  options: AppOptions = {},
): Promise<App> {
  await mkdir(config.dataDir, { recursive: true });
  const sql = await createSqlClient({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrateSql(sql, POSTGRES_MIGRATIONS_DIR, logger);
  const ch = createClickHouse({ url: config.clickhouseUrl, dataDir: config.dataDir });
  await migrateClickHouse(ch, CLICKHOUSE_MIGRATIONS_DIR);
  const log = await createEventLog({
    kafkaBrokers: config.kafkaBrokers,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    dataDir: config.dataDir,
    partitions: config.logPartitions,
    minFreeBytes: config.logMinFreeBytes,
    logger,
  });
  const dedup = await createDedupStore({
    redisUrl: config.redisUrl,
    dataDir: config.dataDir,
    windowMs: config.dedupWindowMs,
    logger,
  });

  const cache = options.answerCache ?? (await createCache({ redisUrl: config.redisUrl }));
  const rateLimiter = await createTierRateLimiter({ limits: config.rateLimits, redisUrl: config.redisUrl });
  const authenticate = createAuthenticator(sql);
  const topic = config.eventsTopic;
  const group = config.processorGroup;
  const watermark = () => readWatermark({ log, sql, topic, group });
  const crash = Object.keys(config.testCrashPoints).length > 0 ? createCrashHook(config.testCrashPoints) : noCrash;
  const acceptEvents = createAcceptEvents({ log, topic, dedup, crash });
  const processingHealth = createProcessingHealthReader({ log, sql, topic, group });
  const failures = new ProcessingFailures();
  const processedEvents = new EventTally();
  const metrics = createHttpMetrics({
    readBacklog: async () => {
      const health = await processingHealth();
      const lag = health.partitions.reduce((sum, p) => sum + p.waiting, 0);
      return { lag, oldestUnprocessedAgeSeconds: health.oldestWaitingAgeMs / 1000 };
    },
    readDeadLetters: () => countPendingDeadLetters(sql),
    processing: {
      failuresByReason: () => failures.byReason(),
      eventsByOutcome: () => processedEvents.entries(),
    },
  });

  const reportsDir = path.join(config.dataDir, "reports");
  const reports = await createReportJobs({
    sql,
    reportsDir,
    concurrency: config.reportConcurrency,
    logger,
    render: createRenderReport({ ch, sql }),
  });
  const scheduler: ReportScheduler = createReportScheduler({ sql, jobs: reports, logger });

  // One poller for every live connection of this process; it reads the stores, so the processors may run elsewhere.
  const live = roles.includes("api")
    ? createLiveFeed({
        sql,
        watermark,
        logger,
        pollIntervalMs: config.livePollMs,
        heartbeatMs: config.liveHeartbeatMs,
        maxSubscribersPerOrg: config.liveMaxStreamsPerOrg,
        today: options.today,
      })
    : undefined;

  // Each mount names the scope every one of its routes needs (see createHttpApp).
  const mounts: Mount[] = [];
  if (roles.includes("ingest")) {
    mounts.push({ path: "/v1/events", scope: "ingest", app: createIngestRoutes({ acceptEvents, limits: config }) });
  }
  if (roles.includes("api")) {
    // Every ClickHouse answer goes through one runner: the caller's format, the answer cache, ETag and 304.
    const sendAnswer = createSendAnswer({ ch, watermark, cache, onServed: metrics.answerServed, logger });
    mounts.push({ path: "/v1", scope: "read", app: createAnalyticsRoutes({ sql, sendAnswer }) });
    mounts.push({ path: "/v1", scope: "read", app: createAggregateRoutes({ sendAnswer }) });
    mounts.push({ path: "/v1", scope: "read", app: createNamedAnalyticsRoutes({ sendAnswer }) });
    mounts.push({ path: "/v1", scope: "read", app: createLiveRoutes({ feed: live! }) });
    // Dead letters are listed with the read scope; a redrive appends to the log, as ingest does, so it needs ingest.
    mounts.push({ path: "/v1", scope: "read", app: createRejectedEventsRoutes({ sql, watermark }) });
    mounts.push({ path: "/v1", scope: "ingest", app: createRedriveRoutes({ sql, log, logger }) });
    mounts.push({
      path: "/v1/reports",
      scope: "reports",
      app: createReportRoutes({ jobs: reports, scheduler, ch, logger }),
    });
    mounts.push({ path: "/v1/admin", scope: "admin", app: createAdminRoutes({ sql, forgetKey: authenticate.forget }) });
  }
  const http = createHttpApp({
    authenticate,
    rateLimiter,
    mounts,
    metrics,
    logger,
    // A process running the processor is not ready while it cannot move: events wait and nothing commits.
    health: createReadinessChecks({
      ...createStoreProbes({ sql, ch, log, topic }),
      ...(roles.includes("process")
        ? {
            processor: createProcessorStallProbe({
              readHealth: processingHealth,
              failures,
              stallMs: config.processorStallMs,
            }),
          }
        : {}),
    }),
  });

  const processorDeps = {
    log,
    sql,
    ch,
    logger,
    topic,
    group,
    batchSize: config.processBatchSize,
    crash,
    onFailure: (error: unknown) => failures.record(error),
    onCommitted: (tally: EventTally) => processedEvents.add(tally),
    processRecords: createPipeline({ sql, options: { duplicatePaymentWindowMs: 24 * 3_600_000 } }),
  };
  const processor: Processor | undefined = roles.includes("process") ? createProcessor(processorDeps) : undefined;
  // References still waiting for their referent after the grace period are flagged; checked a few times per period.
  const orphans = roles.includes("process")
    ? createOrphanSweep({ sql, graceMs: config.orphanGraceMs, logger })
    : undefined;

  return {
    config,
    sql,
    ch,
    log,
    http,
    acceptEvents,
    watermark,
    reports,
    live,
    rebuild: (onProgress) => rebuildFromLog(processorDeps, onProgress),
    async start() {
      await processor?.start();
      orphans?.start(Math.min(60_000, Math.max(1_000, config.orphanGraceMs / 4)));
      if (roles.includes("scheduler")) {
        const armed = await scheduler.armAll();
        logger.info({ event: "scheduler.armed", schedules: armed }, "report schedules armed");
      }
    },
    async close() {
      // Live connections end first: their poller reads the stores closed below.
      await live?.close();
      scheduler.stop();
      await processor?.stop();
      await orphans?.stop();
      await reports.close();
      await log.close();
      await dedup.close();
      await cache.close();
      await rateLimiter.close();
      await ch.close();
      await sql.close();
    },
  };
}
