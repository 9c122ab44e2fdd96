import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../../test/support/wait-for.ts";
import type { Cache } from "./cache.ts";

/** The promises every Cache keeps, run against a fresh, empty cache per test made by make. */
export function describeCacheContract(name: string, make: () => Promise<Cache>): void {
  describe(`Cache contract: ${name}`, () => {
    let cache: Cache;

    beforeEach(async () => {
      cache = await make();
    });

    afterEach(async () => {
      await cache.close();
    });

    it("returns undefined for a key never set", async () => {
      expect(await cache.get("missing")).toBeUndefined();
    });

    it("returns what was set", async () => {
      await cache.set("greeting", "hello", 60_000);
      await cache.set("empty", "", 60_000);
      expect(await cache.get("greeting")).toBe("hello");
      expect(await cache.get("empty")).toBe("");
    });

    it("overwrites a key with the latest value", async () => {
      await cache.set("key", "first", 60_000);
      await cache.set("key", "second", 60_000);
      expect(await cache.get("key")).toBe("second");
    });

    it("forgets an entry once its own TTL has passed", async () => {
      await cache.set("short", "gone soon", 50);
      await cache.set("long", "stays", 60_000);
      expect(await cache.get("short")).toBe("gone soon");
      await waitFor(async () => (await cache.get("short")) === undefined, {
        timeoutMs: 3_000,
        message: "entry did not expire",
      });
      expect(await cache.get("long")).toBe("stays");
    });

    it("treats a TTL of zero as already expired", async () => {
      await cache.set("key", "value", 60_000);
      await cache.set("key", "value", 0);
      expect(await cache.get("key")).toBeUndefined();
    });
  });
}
