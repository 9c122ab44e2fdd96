import type { Cache } from "./cache.ts";
import { createMemoryCache } from "./memory-cache.ts";
import { createRedisCache } from "./redis-cache.ts";

/** What decides between Redis and the in-process cache. */
export interface CacheOptions {
  /** Redis URL; absent means the in-process cache. */
  redisUrl: string | undefined;
  /** Entries the in-process cache keeps. Default 10000. */
  maxEntries?: number;
}

/** The cache from configuration: Redis when a URL is given, otherwise in-process. */
export async function createCache({ redisUrl, maxEntries = 10_000 }: CacheOptions): Promise<Cache> {
  return redisUrl === undefined ? createMemoryCache({ maxEntries }) : createRedisCache({ url: redisUrl });
}
