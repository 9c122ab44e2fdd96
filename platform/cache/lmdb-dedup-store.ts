import fs from "node:fs/promises";
import path from "node:path";
import { open } from "lmdb";
import { InfrastructureError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { DedupStore } from "./dedup-store.ts";

/** Where the embedded idempotency window lives and how long it remembers. */
export interface LmdbDedupStoreOptions {
  /** LMDB file (a `-lock` file sits beside it); its folder is created if missing. */
  path: string;
  /** How long a confirmed key is remembered, milliseconds. */
  windowMs: number;
  /** How often expired keys are deleted, milliseconds. Default the window, at most 10 minutes. */
  purgeIntervalMs?: number;
  /** Receives failures of the background purge. */
  logger?: Logger;
}

/** The LMDB window, with its purge exposed for tests and maintenance. */
export interface LmdbDedupStore extends DedupStore {
  /** Deletes keys whose window has passed; resolves with how many. */
  purgeExpired(): Promise<number>;
}

/** Deletes at most this many expired keys per write transaction, so a large backlog never makes one huge commit. */
const PURGE_CHUNK = 10_000;

/**
 * An idempotency window in LMDB, for one process (the embedded mode). Confirmed keys are stored with their confirm
 * time and survive restarts; in-flight claims live in memory, since a claim dies with the request that made it.
 */
export async function createLmdbDedupStore({
  path: file,
  windowMs,
  purgeIntervalMs = Math.min(windowMs, 600_000),
  logger,
}: LmdbDedupStoreOptions): Promise<LmdbDedupStore> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  let root: ReturnType<typeof open>;
  try {
    root = open({ path: file });
  } catch (error) {
    throw new InfrastructureError(`could not open the dedup store at ${file}`, { cause: error, retriable: false });
  }
  // key → confirm time (ms), and the same entries ordered by [time, key] so the purge reads only what expired.
  const confirmedAt = root.openDB<number, string>({ name: "confirmed" });
  const byTime = root.openDB<true, [number, string]>({ name: "by-time" });
  const inFlight = new Set<string>();

  async function purgeExpired(): Promise<number> {
    const cutoff = Date.now() - windowMs;
    let purged = 0;
    for (;;) {
      const expired = [...byTime.getKeys({ end: [cutoff, ""], limit: PURGE_CHUNK })];
      if (expired.length === 0) return purged;
      await root.transaction(() => {
        for (const [time, key] of expired) {
          byTime.remove([time, key]);
          // A key confirmed again later has a newer time: only its old index entry goes.
          if (confirmedAt.get(key) === time) confirmedAt.remove(key);
        }
      });
      purged += expired.length;
    }
  }

  let purging: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    purging = purging
      .then(purgeExpired)
      .catch((error: unknown) => logger?.warn({ event: "dedup.purge_failed", err: error }, "dedup purge failed"));
  }, purgeIntervalMs);
  timer.unref();

  return {
    async claim(keys) {
      // Synchronous from here to the return: no other claim can interleave, so two requests never both get true.
      const now = Date.now();
      const seen = new Set<string>();
      return keys.map((key) => {
        const first = !seen.has(key);
        seen.add(key);
        if (!first || inFlight.has(key)) return false;
        const time = confirmedAt.get(key);
        if (time !== undefined && now - time < windowMs) return false;
        inFlight.add(key);
        return true;
      });
    },
    async confirm(keys) {
      const now = Date.now();
      try {
        await root.transaction(() => {
          for (const key of new Set(keys)) {
            confirmedAt.put(key, now);
            byTime.put([now, key], true);
          }
        });
        await root.flushed;
      } catch (error) {
        throw new InfrastructureError("could not record confirmed keys in the dedup store", { cause: error });
      }
      // Only now, with the confirmation readable, may the claims go: in between a retry would have been let through.
      for (const key of keys) inFlight.delete(key);
    },
    async release(keys) {
      for (const key of keys) inFlight.delete(key);
    },
    purgeExpired,
    async close() {
      clearInterval(timer);
      await purging;
      inFlight.clear();
      await root.close();
    },
  };
}
