import path from "node:path";
import type { Logger } from "../logger.ts";
import type { DedupStore } from "./dedup-store.ts";
import { createLmdbDedupStore } from "./lmdb-dedup-store.ts";
import { createRedisDedupStore } from "./redis-dedup-store.ts";

/** What decides between the Redis and the LMDB idempotency window. */
export interface DedupStoreOptions {
  /** Redis URL; absent means the embedded LMDB window. */
  redisUrl: string | undefined;
  /** The product's data directory; the LMDB window lives in its `dedup` file. */
  dataDir: string;
  /** How long a confirmed event id is remembered, milliseconds. */
  windowMs: number;
  /** Receives failures of the LMDB window's background purge. */
  logger?: Logger;
}

/** Namespace of the window's keys in a Redis shared with the cache and the rate limiter. */
const REDIS_KEY_PREFIX = "wedsync:dedup:";

/**
 * The ingest idempotency window from configuration: Redis when a URL is given (shared by every ingest process),
 * otherwise LMDB at `<dataDir>/dedup` (one process).
 */
export function createDedupStore({ redisUrl, dataDir, windowMs, logger }: DedupStoreOptions): Promise<DedupStore> {
  return redisUrl === undefined
    ? createLmdbDedupStore({ path: path.join(dataDir, "dedup"), windowMs, ...(logger === undefined ? {} : { logger }) })
    : createRedisDedupStore({ url: redisUrl, windowMs, keyPrefix: REDIS_KEY_PREFIX });
}
