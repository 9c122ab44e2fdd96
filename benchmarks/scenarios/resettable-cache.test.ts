import { expect, it } from "vitest";
import { describeCacheContract } from "../../platform/cache/cache.contract.ts";
import { createResettableCache } from "./resettable-cache.ts";

describeCacheContract("resettable in-process", createResettableCache);

it("forgets every entry on reset, and keeps what is set after it", async () => {
  const cache = await createResettableCache();
  try {
    await cache.set("a", "1", 60_000);
    await cache.set("b", "2", 60_000);
    await cache.reset();
    expect([await cache.get("a"), await cache.get("b")]).toEqual([undefined, undefined]);
    await cache.set("a", "3", 60_000);
    expect(await cache.get("a")).toBe("3");
  } finally {
    await cache.close();
  }
});
