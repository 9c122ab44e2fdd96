import type { Claim, DedupStore } from "./dedup-store.ts";
import { connectRedis, redisCall } from "./redis-connection.ts";

/** Where the shared idempotency window lives and how long it remembers. */
export interface RedisDedupStoreOptions {
  /** redis:// URL. */
  url: string;
  /** How long a confirmed key is remembered, milliseconds. */
  windowMs: number;
  /** Namespace of the window's keys, e.g. `wedsync:dedup:`. */
  keyPrefix: string;
  /**
   * How long an unconfirmed claim holds its key, milliseconds: a process that dies mid-request frees its keys after
   * this. Longer than any append may take. Default 60000.
   */
  claimTtlMs?: number;
}

const PENDING = "pending";
const CONFIRMED = "1";

// Claims the key unless it is held; answers what holds it. One script per key, so nothing runs between the SET and the
// GET: a key seen held is either confirmed or still claimed.
const CLAIM = `
  if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 'granted' end
  return redis.call('GET', KEYS[1])`;

// Deletes the key only while it is still a claim: a release arriving after a confirm (or after the claim expired and
// another request claimed and confirmed it) must not erase a remembered key.
const RELEASE_IF_PENDING = `
  if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
  return 0`;

/**
 * An idempotency window shared by every ingest process through Redis. A claim is `SET key pending NX PX claimTtl`,
 * atomic across processes; a confirm rewrites it as `1` with the window as its TTL, so Redis does the expiry.
 */
export async function createRedisDedupStore({
  url,
  windowMs,
  keyPrefix,
  claimTtlMs = 60_000,
}: RedisDedupStoreOptions): Promise<DedupStore> {
  const redis = await connectRedis({ url, keyPrefix });

  /** Runs one command per key in a pipeline; rejects if any failed. */
  async function perKey<T>(keys: string[], add: (pipeline: ReturnType<typeof redis.pipeline>, key: string) => void) {
    if (keys.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const key of keys) add(pipeline, key);
    const results = (await redisCall(() => pipeline.exec())) ?? [];
    return results.map(([error, value]) => {
      if (error !== null) throw error;
      return value as T;
    });
  }

  return {
    async claim(keys) {
      const unique = [...new Set(keys)];
      const replies = await redisCall(() =>
        perKey<string | null>(unique, (pipeline, key) => pipeline.eval(CLAIM, 1, key, PENDING, claimTtlMs)),
      );
      const found = new Map(unique.map((key, index) => [key, replies[index]]));
      return keys.map((key): Claim => {
        const reply = found.get(key);
        // Later occurrences of a key in this call are duplicates of the first, whatever it was found to be.
        found.set(key, CONFIRMED);
        if (reply === "granted") return "granted";
        return reply === PENDING ? "in_flight" : "duplicate";
      });
    },
    async confirm(keys) {
      await redisCall(() =>
        perKey([...new Set(keys)], (pipeline, key) => pipeline.set(key, CONFIRMED, "PX", windowMs)),
      );
    },
    async release(keys) {
      await redisCall(() =>
        perKey([...new Set(keys)], (pipeline, key) => pipeline.eval(RELEASE_IF_PENDING, 1, key, PENDING)),
      );
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
