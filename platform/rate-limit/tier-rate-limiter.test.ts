import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InfrastructureError } from "../errors.ts";
import { parseTierLimits } from "./tier-limits.ts";
import { createTierRateLimiter, type TierRateLimiterOptions } from "./tier-rate-limiter.ts";

const redisUrl = process.env.REDIS_URL;

if (redisUrl === undefined) {
  console.info("tier-rate-limiter: REDIS_URL is not set, skipping the Redis rate limiter tests");
}

// Minute windows: no window can roll over between a test's requests and make a refusal flaky.
const limits = parseTierLimits("free=3/min,professional=5/min");
const org = () => `org_${randomBytes(6).toString("hex")}`;

function describeLimiter(name: string, options: () => Omit<TierRateLimiterOptions, "limits">) {
  describe(`${name} tier rate limiter`, () => {
    it("allows a tier's quota per organisation, then refuses with the seconds until the window resets", async () => {
      const limiter = await createTierRateLimiter({ limits, ...options() });
      try {
        const a = org();
        const allowed = [];
        for (let i = 0; i < 3; i++) allowed.push(await limiter.consume("free", a));
        expect(allowed.map((d) => [d.allowed, d.limit, d.remaining])).toEqual([
          [true, 3, 2],
          [true, 3, 1],
          [true, 3, 0],
        ]);
        const refused = await limiter.consume("free", a);
        expect(refused).toMatchObject({ allowed: false, limit: 3, windowSeconds: 60, remaining: 0 });
        expect(Number.isInteger(refused.resetSeconds)).toBe(true);
        expect(refused.resetSeconds).toBeGreaterThanOrEqual(1);
        expect(refused.resetSeconds).toBeLessThanOrEqual(60);
      } finally {
        await limiter.close();
      }
    });

    it("counts each organisation and each tier on its own", async () => {
      const limiter = await createTierRateLimiter({ limits, ...options() });
      try {
        const a = org();
        for (let i = 0; i < 4; i++) await limiter.consume("free", a);
        expect((await limiter.consume("free", a)).allowed).toBe(false);
        expect(await limiter.consume("free", org())).toMatchObject({ allowed: true, remaining: 2 });
        expect(await limiter.consume("professional", a)).toMatchObject({ allowed: true, limit: 5, remaining: 4 });
      } finally {
        await limiter.close();
      }
    });
  });
}

describeLimiter("Memory", () => ({}));

describe.skipIf(redisUrl === undefined)("Redis", () => {
  // A random prefix per run: runs never see each other's counts, and every count expires with its window.
  describeLimiter("Redis", () => ({ redisUrl, keyPrefix: `wedsync-test:rate:${randomBytes(6).toString("hex")}:` }));

  it("shares one quota between two limiters on the same Redis, as two API processes do", async () => {
    const keyPrefix = `wedsync-test:rate:${randomBytes(6).toString("hex")}:`;
    const one = await createTierRateLimiter({ limits, redisUrl, keyPrefix });
    const two = await createTierRateLimiter({ limits, redisUrl, keyPrefix });
    try {
      const a = org();
      await one.consume("free", a);
      await two.consume("free", a);
      await one.consume("free", a);
      expect((await two.consume("free", a)).allowed).toBe(false);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("rejects with a retriable InfrastructureError once Redis is gone, rather than waiting for it", async () => {
    const limiter = await createTierRateLimiter({ limits, redisUrl });
    await limiter.close();
    const failure = await limiter.consume("free", org()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect(failure).toMatchObject({ retriable: true });
  });
});

describe("Redis tier rate limiter without a server", () => {
  it("rejects at start with a retriable InfrastructureError when nothing listens", async () => {
    const failure = await createTierRateLimiter({ limits, redisUrl: "redis://127.0.0.1:1" }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InfrastructureError);
  });
});
