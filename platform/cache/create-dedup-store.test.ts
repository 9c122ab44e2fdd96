import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeTempDir } from "../../test/support/temp-dir.ts";
import { createDedupStore } from "./create-dedup-store.ts";

if (process.env.REDIS_URL === undefined) {
  console.info("create-dedup-store: REDIS_URL is not set, skipping the Redis case");
}

describe("createDedupStore", () => {
  it("keeps the window in LMDB at the data directory's dedup file when no Redis URL is given", async () => {
    const dir = await makeTempDir("wedsync-dedup-factory");
    try {
      const store = await createDedupStore({ redisUrl: undefined, dataDir: dir.path, windowMs: 3_600_000 });
      try {
        expect(await store.claim(["a", "b"])).toEqual(["granted", "granted"]);
        await store.confirm(["a", "b"]);
      } finally {
        await store.close();
      }
      await expect(fs.stat(path.join(dir.path, "dedup"))).resolves.toBeDefined();
      const reopened = await createDedupStore({ redisUrl: undefined, dataDir: dir.path, windowMs: 3_600_000 });
      try {
        expect(await reopened.claim(["a", "c"])).toEqual(["duplicate", "granted"]);
      } finally {
        await reopened.close();
      }
    } finally {
      await dir.cleanup();
    }
  });

  it.skipIf(process.env.REDIS_URL === undefined)("shares the window through Redis when a URL is given", async () => {
    const options = { redisUrl: process.env.REDIS_URL, dataDir: "unused", windowMs: 60_000 };
    const first = await createDedupStore(options);
    const second = await createDedupStore(options);
    const key = `factory-${randomUUID()}`;
    try {
      expect(await first.claim([key])).toEqual(["granted"]);
      await first.confirm([key]);
      expect(await second.claim([key])).toEqual(["duplicate"]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
