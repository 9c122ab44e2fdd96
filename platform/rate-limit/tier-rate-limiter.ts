import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { asInfrastructureError, connectRedis } from "../cache/redis-connection.ts";
import { TIERS, type Tier } from "../tenants/key-access.ts";
import type { TierLimits } from "./tier-limits.ts";

/** Whether one request fits its organisation's quota, and where the quota stands after it. */
export interface RateDecision {
  allowed: boolean;
  /** The tier's requests per window. */
  limit: number;
  /** The tier's window, seconds. */
  windowSeconds: number;
  /** Requests left in the current window. */
  remaining: number;
  /** Whole seconds (rounded up, at least 1) until the window resets. */
  resetSeconds: number;
}

/** Counts requests per organisation under a tier's quota (fixed windows). */
export interface TierRateLimiter {
  /** Counts one request of orgId under tier; rejects with InfrastructureError when the store fails. */
  consume(tier: Tier, orgId: string): Promise<RateDecision>;
  /** Releases the store's connection. */
  close(): Promise<void>;
}

/** Where the counts live: Redis (shared by every API process) when a URL is given, else this process's memory. */
export interface TierRateLimiterOptions {
  limits: TierLimits;
  redisUrl?: string;
  /** Put before every Redis key. Default `wedsync:rate:`. */
  keyPrefix?: string;
}

/**
 * The rate limiter of the configuration: counts in Redis when `redisUrl` is set, so every API process shares one
 * quota per organisation; otherwise in memory (one process, or a quota per process). Rejects with
 * InfrastructureError when Redis cannot be reached at start.
 */
export async function createTierRateLimiter({
  limits,
  redisUrl,
  keyPrefix = "wedsync:rate:",
}: TierRateLimiterOptions): Promise<TierRateLimiter> {
  if (redisUrl === undefined) {
    const limiter = (tier: Tier) =>
      new RateLimiterMemory({ keyPrefix: tier, points: limits[tier].requests, duration: limits[tier].windowSeconds });
    return fromLimiters(limits, limiter, async () => {});
  }
  const redis = await connectRedis({ url: redisUrl, keyPrefix });
  const limiter = (tier: Tier) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: tier,
      points: limits[tier].requests,
      duration: limits[tier].windowSeconds,
      // While Redis is reconnecting, fail at once instead of holding the request behind ioredis' offline queue.
      rejectIfRedisNotReady: true,
    });
  return fromLimiters(limits, limiter, async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
}

function fromLimiters(
  limits: TierLimits,
  make: (tier: Tier) => RateLimiterAbstract,
  close: () => Promise<void>,
): TierRateLimiter {
  const limiters = Object.fromEntries(TIERS.map((tier) => [tier, make(tier)])) as Record<Tier, RateLimiterAbstract>;
  const decision = (allowed: boolean, tier: Tier, res: RateLimiterRes): RateDecision => ({
    allowed,
    limit: limits[tier].requests,
    windowSeconds: limits[tier].windowSeconds,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
  return {
    async consume(tier, orgId) {
      try {
        return decision(true, tier, await limiters[tier].consume(orgId));
      } catch (outcome) {
        // The library rejects with a RateLimiterRes when the quota is used up, and with an Error when the store fails.
        if (outcome instanceof RateLimiterRes) return decision(false, tier, outcome);
        throw asInfrastructureError(outcome);
      }
    },
    close,
  };
}
