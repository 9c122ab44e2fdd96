import type { Cache } from "./cache.ts";
import { connectRedis, redisCall } from "./redis-connection.ts";

/** Where the shared cache lives. */
export interface RedisCacheOptions {
  /** redis:// URL. */
  url: string;
  /** Namespace of this cache's keys. Default `wedsync:cache:`. */
  keyPrefix?: string;
}

/** A Cache shared by every process through Redis; entries expire on the server (SET … PX). */
export async function createRedisCache({ url, keyPrefix = "wedsync:cache:" }: RedisCacheOptions): Promise<Cache> {
  const redis = await connectRedis({ url, keyPrefix });
  return {
    async get(key) {
      return (await redisCall(() => redis.get(key))) ?? undefined;
    },
    async set(key, value, ttlMs) {
      // Redis refuses PX 0; a TTL of zero or less means the entry is already gone.
      if (ttlMs <= 0) await redisCall(() => redis.del(key));
      else await redisCall(() => redis.set(key, value, "PX", Math.ceil(ttlMs)));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
