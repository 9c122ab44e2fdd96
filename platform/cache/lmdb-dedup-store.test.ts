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
      expect(await store.claim(["live"])).toEqual(["duplicate"]);
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
    const stored = raw.openDB({ name: "journal" });
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

  it("keeps one journal record per confirm call and finds keys again after a reopen", async () => {
    const dir = await makeTempDir("wedsync-dedup");
    const file = path.join(dir.path, "window.lmdb");
    try {
      const first = await createLmdbDedupStore({ path: file, windowMs: 60_000 });
      const batch = Array.from({ length: 2_000 }, (_, i) => `org_1:${i}`);
      expect((await first.claim(batch)).every((claim) => claim === "granted")).toBe(true);
      await first.confirm(batch);
      await first.claim(["org_1:late"]);
      await first.confirm(["org_1:late"]);
      await first.close();
      const raw = open({ path: file });
      expect(raw.openDB({ name: "journal" }).getCount()).toBe(2);
      await raw.close();

      const second = await createLmdbDedupStore({ path: file, windowMs: 60_000 });
      try {
        expect(await second.claim(["org_1:0", "org_1:1999", "org_1:late", "org_1:2000"])).toEqual([
          "duplicate",
          "duplicate",
          "duplicate",
          "granted",
        ]);
      } finally {
        await second.close();
      }
    } finally {
      await dir.cleanup();
    }
  });

  it("takes over a window written by the earlier keyed layout", async () => {
    const dir = await makeTempDir("wedsync-dedup");
    const file = path.join(dir.path, "window.lmdb");
    try {
      // The layout before the journal: key → confirm time, and a [time, key] index; "again" was confirmed twice.
      const now = Date.now();
      const raw = open({ path: file });
      const confirmed = raw.openDB<number, string>({ name: "confirmed" });
      const byTime = raw.openDB<true, [number, string]>({ name: "by-time" });
      await raw.transaction(() => {
        for (const [time, key] of [
          [now - 5_000, "a"],
          [now - 5_000, "again"],
          [now - 1_000, "b"],
          [now - 1_000, "again"],
        ] as const) {
          void byTime.put([time, key], true);
          void confirmed.put(key, time);
        }
        void byTime.put([now - 120_000, "expired"], true);
        void confirmed.put("expired", now - 120_000);
      });
      await raw.close();

      const store = await createLmdbDedupStore({ path: file, windowMs: 60_000, purgeIntervalMs: 3_600_000 });
      try {
        expect(await store.claim(["a", "b", "again", "expired", "new"])).toEqual([
          "duplicate",
          "duplicate",
          "duplicate",
          "granted",
          "granted",
        ]);
        expect(await store.purgeExpired()).toBe(1);
      } finally {
        await store.close();
      }
      // The root database's keys name the named databases.
      const after = open({ path: file });
      expect([...after.getKeys()]).toEqual(["journal"]);
      await after.close();
    } finally {
      await dir.cleanup();
    }
  });
});
