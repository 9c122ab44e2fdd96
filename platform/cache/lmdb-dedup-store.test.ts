import path from "node:path";
import { open } from "lmdb";
import { describe, expect, it } from "vitest";
import { makeTempDir } from "../../test/support/temp-dir.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { describeDedupStoreContract } from "./dedup-store.contract.ts";
import { createLmdbDedupStore } from "./lmdb-dedup-store.ts";

describeDedupStoreContract("LMDB", async () => {
  const dir = await makeTempDir("wedsync-dedup");
  return {
    open: ({ windowMs }) => createLmdbDedupStore({ path: path.join(dir.path, "dedup", "window.lmdb"), windowMs }),
    dispose: () => dir.cleanup(),
  };
});

describe("LMDB dedup store", () => {
  it("purges expired keys and keeps live ones", async () => {
    const dir = await makeTempDir("wedsync-dedup");
    // The timer is kept out of the way: this test drives the purge itself.
    const store = await createLmdbDedupStore({
      path: path.join(dir.path, "window.lmdb"),
      windowMs: 100,
      purgeIntervalMs: 3_600_000,
    });
    try {
      await store.claim(["old-1", "old-2"]);
      await store.confirm(["old-1", "old-2"]);
      await waitFor(async () => (await store.purgeExpired()) === 2, { message: "expired keys were not purged" });
      await store.claim(["live"]);
      await store.confirm(["live"]);
      expect(await store.purgeExpired()).toBe(0);
      expect(await store.claim(["live"])).toEqual([false]);
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });

  it("purges on its own timer", async () => {
    const dir = await makeTempDir("wedsync-dedup");
    const file = path.join(dir.path, "window.lmdb");
    const store = await createLmdbDedupStore({ path: file, windowMs: 50, purgeIntervalMs: 20 });
    // Looks at the stored entries directly: the store's own answers cannot tell purged from merely expired.
    const raw = open({ path: file });
    const stored = raw.openDB({ name: "confirmed" });
    try {
      await store.claim(["old"]);
      await store.confirm(["old"]);
      expect(stored.getCount()).toBe(1);
      await waitFor(() => stored.getCount() === 0, { message: "the timer did not purge" });
    } finally {
      await raw.close();
      await store.close();
      await dir.cleanup();
    }
  });
});
