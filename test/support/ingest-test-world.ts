import path from "node:path";
import type { DedupStore } from "../../platform/cache/dedup-store.ts";
import { createLmdbDedupStore } from "../../platform/cache/lmdb-dedup-store.ts";
import type { EventLog } from "../../platform/event-log/event-log.ts";
import { createLmdbEventLog } from "../../platform/event-log/lmdb-event-log.ts";
import { createHttpApp } from "../../platform/http/create-http-app.ts";
import { createHttpMetrics } from "../../platform/http/http-metrics.ts";
import type { Logger } from "../../platform/logger.ts";
import { parseTierLimits } from "../../platform/rate-limit/tier-limits.ts";
import { createTierRateLimiter } from "../../platform/rate-limit/tier-rate-limiter.ts";
import type { SqlClient } from "../../platform/sql/sql-client.ts";
import { createAuthenticator } from "../../platform/tenants/authenticate.ts";
import { createOrganisation } from "../../platform/tenants/organisations.ts";
import { createAcceptEvents } from "../../ingest/accept-events.ts";
import { createIngestRoutes } from "../../ingest/ingest-routes.ts";
import { decodeLogEnvelope, EVENTS_TOPIC } from "../../schemas/index.ts";
import { createTestPglite } from "./pglite-template.ts";
import { makeTempDir, type TempDir } from "./temp-dir.ts";

/** The ingest route alone on real embedded stores (PGlite, an LMDB log and dedup window), with one organisation. */
export interface IngestTestWorld {
  dir: TempDir;
  sql: SqlClient;
  log: EventLog;
  dedup: DedupStore;
  /** The HTTP app serving POST /v1/events behind auth, with a quota no test's burst reaches. */
  app: ReturnType<typeof createHttpApp>;
  apiKey: string;
  orgId: string;
  /** Every event in the log, in partition and offset order, with the organisation it was accepted for. */
  loggedEvents(): Promise<{ orgId: string; id: string }[]>;
  /** Closes the stores and removes the directory. */
  close(): Promise<void>;
}

/** Opens an ingest test world in a fresh temp directory named after prefix. */
export async function openIngestTestWorld({
  prefix,
  maxBodyBytes,
  logger,
}: {
  prefix: string;
  maxBodyBytes: number;
  logger: Logger;
}): Promise<IngestTestWorld> {
  const dir = await makeTempDir(prefix);
  const sql = await createTestPglite(path.join(dir.path, "pg"));
  const log = await createLmdbEventLog({ path: path.join(dir.path, "log"), partitions: 4 });
  const dedup = await createLmdbDedupStore({ path: path.join(dir.path, "dedup"), windowMs: 3_600_000 });
  const { apiKey, orgId } = await createOrganisation(sql, "Ingest Test");
  const app = createHttpApp({
    authenticate: createAuthenticator(sql),
    // Ingest tests post hundreds of requests in a burst (the property runs); the rate limit has tests of its own.
    rateLimiter: await createTierRateLimiter({ limits: parseTierLimits("professional=1000000/s") }),
    mounts: [
      {
        path: "/v1/events",
        scope: "ingest",
        app: createIngestRoutes({
          acceptEvents: createAcceptEvents({ log, topic: EVENTS_TOPIC, dedup }),
          limits: { maxBodyBytes, maxBatchEvents: 100 },
        }),
      },
    ],
    health: { ready: async () => ({ ok: true, checks: {} }) },
    metrics: createHttpMetrics({ readBacklog: async () => ({ lag: 0, oldestUnprocessedAgeSeconds: 0 }) }),
    logger,
  });
  return {
    dir,
    sql,
    log,
    dedup,
    app,
    apiKey,
    orgId,
    async loggedEvents() {
      const out: { orgId: string; id: string }[] = [];
      const ends = await log.endOffsets(EVENTS_TOPIC);
      for (let p = 0; p < ends.length; p++) {
        for (const record of await log.read(EVENTS_TOPIC, p, 0, ends[p]!)) {
          const decoded = decodeLogEnvelope(record.value);
          if (decoded.ok)
            out.push({ orgId: decoded.envelope.orgId, id: (decoded.envelope.event as { id: string }).id });
        }
      }
      return out;
    },
    async close() {
      await log.close();
      await dedup.close();
      await sql.close();
      await dir.cleanup();
    },
  };
}
