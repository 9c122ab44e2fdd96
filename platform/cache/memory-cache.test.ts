import { expect, it } from "vitest";
import { describeCacheContract } from "./cache.contract.ts";
import { createMemoryCache } from "./memory-cache.ts";

describeCacheContract("in-process", async () => createMemoryCache({ maxEntries: 100 }));

it("evicts the least recently used entry beyond maxEntries", async () => {
  const cache = createMemoryCache({ maxEntries: 2 });
  try {
    await cache.set("a", "1", 60_000);
    await cache.set("b", "2", 60_000);
    await cache.get("a");
    await cache.set("c", "3", 60_000);
    expect([await cache.get("a"), await cache.get("b"), await cache.get("c")]).toEqual(["1", undefined, "3"]);
  } finally {
    await cache.close();
  }
});
