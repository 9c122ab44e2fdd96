import { createMiddleware } from "hono/factory";
import type { Logger } from "../logger.ts";
import type { RateDecision, TierRateLimiter } from "../rate-limit/tier-rate-limiter.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

/** At most one warning per this many milliseconds while the limiter's store is failing. */
const WARN_EVERY_MS = 10_000;

/**
 * Counts every authenticated request against its organisation's quota of the key's tier: keys of one tier share one
 * count, so minting more keys does not multiply the quota; an organisation the operator gave keys of two tiers has a
 * count in each. Over it: 429 rate_limited with Retry-After. Every answer carries RateLimit-Limit,
 * RateLimit-Remaining and RateLimit-Reset (seconds).
 */
export function limitRequestRate({ limiter, logger }: { limiter: TierRateLimiter; logger: Logger }) {
  let warnedAt = Number.NEGATIVE_INFINITY;
  return createMiddleware<AppEnv>(async function limitRequestRate(c, next) {
    const { orgId, tier } = c.var.auth;
    let decision: RateDecision;
    try {
      decision = await limiter.consume(tier, orgId);
    } catch (error) {
      // Fail open: the limiter guards against overload, and a Redis outage should not turn into an outage of the whole
      // API (ingest would start refusing events it could safely take). The body-size limits and the log's own 503 still
      // stand; the warning says the quotas are not enforced until Redis answers again.
      const now = Date.now();
      if (now - warnedAt >= WARN_EVERY_MS) {
        warnedAt = now;
        logger.warn(
          { event: "rate_limit.store_failed", err: error },
          "rate limiter store failed; letting requests through unlimited",
        );
      }
      await next();
      return;
    }
    const headers = {
      "RateLimit-Limit": String(decision.limit),
      "RateLimit-Remaining": String(decision.remaining),
      "RateLimit-Reset": String(decision.resetSeconds),
    };
    if (!decision.allowed) {
      throw new ApiError(
        "rate_limited",
        `the organisation used its ${tier} tier's ${decision.limit} requests per ${decision.windowSeconds} s; retry in ${decision.resetSeconds} s`,
        {
          tier,
          limit: decision.limit,
          windowSeconds: decision.windowSeconds,
          retryAfterSeconds: decision.resetSeconds,
        },
        { ...headers, "Retry-After": String(decision.resetSeconds) },
      );
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
  });
}
