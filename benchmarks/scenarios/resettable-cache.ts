import type { Cache } from "../../platform/cache/cache.ts";
import { createCache } from "../../platform/cache/create-cache.ts";

/** A cache that can be emptied between timed runs. */
export interface ResettableCache extends Cache {
  /** Replaces the entries with an empty cache (the old one is closed). */
  reset(): Promise<void>;
}

/**
 * The app's default in-process answer cache (what createApp builds without REDIS_URL), behind one indirection so a
 * benchmark can give the app an empty one before a run: every answer then takes the runner's miss path, as it would
 * the first time a question is asked after processing moved on, without the question or the data being changed.
 */
export async function createResettableCache(): Promise<ResettableCache> {
  const empty = () => createCache({ redisUrl: undefined });
  let entries = await empty();
  return {
    get: (key) => entries.get(key),
    set: (key, value, ttlMs) => entries.set(key, value, ttlMs),
    async reset() {
      const old = entries;
      entries = await empty();
      await old.close();
    },
    close: () => entries.close(),
  };
}
