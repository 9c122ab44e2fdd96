import { LRUCache } from "lru-cache";
import type { Cache } from "./cache.ts";

/** How many entries the in-process cache keeps. */
export interface MemoryCacheOptions {
  /** Least recently used entries are evicted beyond this many. */
  maxEntries: number;
}

/** An in-process Cache: least recently used eviction, and each entry expiring after its own TTL. */
export function createMemoryCache({ maxEntries }: MemoryCacheOptions): Cache {
  const entries = new LRUCache<string, string>({ max: maxEntries });
  return {
    async get(key) {
      return entries.get(key);
    },
    async set(key, value, ttlMs) {
      // A TTL of zero or less means already expired, as Redis would have it; lru-cache would read 0 as "forever".
      if (ttlMs <= 0) entries.delete(key);
      else entries.set(key, value, { ttl: Math.ceil(ttlMs) });
    },
    async close() {
      entries.clear();
    },
  };
}
