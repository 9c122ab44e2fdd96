import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../test/support/wait-for.ts";
import { describeDedupStoreContract } from "./dedup-store.contract.ts";
import { createRedisDedupStore } from "./redis-dedup-store.ts";

const redisUrl = process.env.REDIS_URL;

if (redisUrl === undefined) {
  console.info("redis-dedup-store: REDIS_URL is not set, skipping the Redis dedup store tests");
}

/** A key prefix no other test or run uses. */
const freshPrefix = () => `wedsync-test:dedup:${randomBytes(6).toString("hex")}:`;

describe.skipIf(redisUrl === undefined)("Redis dedup store", () => {
  describeDedupStoreContract("Redis", async () => {
    const keyPrefix = freshPrefix();
    return {
      // Keys expire on their own (claims after claimTtlMs, confirmations after the window): nothing to remove.
      open: ({ windowMs }) =>
        createRedisDedupStore({ url: redisUrl as string, windowMs, keyPrefix, claimTtlMs: 10_000 }),
      dispose: async () => undefined,
    };
  });

  it("grants one of many concurrent claims made by separate processes", async () => {
    const keyPrefix = freshPrefix();
    const stores = await Promise.all(
      [1, 2, 3, 4].map(() => createRedisDedupStore({ url: redisUrl as string, windowMs: 10_000, keyPrefix })),
    );
    try {
      const results = await Promise.all(stores.flatMap((store) => [store.claim(["k"]), store.claim(["k"])]));
      expect(results.filter(([claim]) => claim === "granted")).toHaveLength(1);
      expect(results.filter(([claim]) => claim === "in_flight")).toHaveLength(7);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("frees a claim that is never confirmed or released once its claim TTL passes", async () => {
    const store = await createRedisDedupStore({
      url: redisUrl as string,
      windowMs: 10_000,
      keyPrefix: freshPrefix(),
      claimTtlMs: 100,
    });
    try {
      expect(await store.claim(["abandoned"])).toEqual(["granted"]);
      await waitFor(async () => (await store.claim(["abandoned"]))[0] === "granted", {
        message: "claim never expired",
      });
    } finally {
      await store.close();
    }
  });
});
