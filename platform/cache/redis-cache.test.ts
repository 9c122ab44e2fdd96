import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InfrastructureError } from "../errors.ts";
import { describeCacheContract } from "./cache.contract.ts";
import { createRedisCache } from "./redis-cache.ts";

const redisUrl = process.env.REDIS_URL;

if (redisUrl === undefined) {
  console.info("redis-cache: REDIS_URL is not set, skipping the Redis cache tests");
}

describe.skipIf(redisUrl === undefined)("Redis cache", () => {
  // A random prefix per test: runs never see each other's keys, and every key expires on its own.
  describeCacheContract("Redis", () =>
    createRedisCache({ url: redisUrl as string, keyPrefix: `wedsync-test:${randomBytes(6).toString("hex")}:` }),
  );
});

describe("Redis cache without a server", () => {
  it("rejects with a retriable InfrastructureError when nothing listens", async () => {
    const failure = await createRedisCache({ url: "redis://127.0.0.1:1" }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect(failure).toMatchObject({ retriable: true });
  });
});
