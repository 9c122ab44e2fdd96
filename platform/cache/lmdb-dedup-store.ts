import fs from "node:fs/promises";
import path from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { InfrastructureError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { decodeJournalRecord, encodeJournalRecord } from "./dedup-journal-record.ts";
import type { Claim, DedupStore } from "./dedup-store.ts";
import { createKeyFingerprintIndex } from "./key-fingerprint-index.ts";

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

/** Deletes journal records of at most about this many keys per write transaction, so a backlog never makes one huge commit. */
const PURGE_CHUNK = 10_000;

/**
 * An idempotency window in LMDB, for one process (the embedded mode).
 *
 * Each confirm call appends one record (its time and keys) to a journal keyed by a sequence number: a sequential
 * write, one per request, so confirming costs about as much as appending to the log. (A B-tree keyed by the random
 * ids themselves, as this store used to keep, dirties one page per id: about 10 µs and 4 KiB written per key.) The
 * journal is the durable truth and survives restarts; lookups go to an in-memory fingerprint index rebuilt from it on
 * open, whose candidates are checked against the journal record they point at, so an answer is never a guess.
 * Memory grows with the keys in the window: about 25–45 bytes each. In-flight claims live in memory only, since a
 * claim dies with the request that made it.
 */
export async function createLmdbDedupStore({
  path: file,
  windowMs,
  purgeIntervalMs = Math.min(windowMs, 600_000),
  logger,
}: LmdbDedupStoreOptions): Promise<LmdbDedupStore> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  let root: RootDatabase;
  try {
    // As in the event log: without overlappingSync a commit's promise resolves only once it is flushed to disk, so a
    // confirmed key is remembered after a power cut too.
    root = open({ path: file, overlappingSync: false });
  } catch (error) {
    throw new InfrastructureError(`could not open the dedup store at ${file}`, { cause: error, retriable: false });
  }
  const journal = root.openDB<Buffer, number>({ name: "journal", encoding: "binary" });
  await migrateKeyedLayout(root, journal);

  const index = createKeyFingerprintIndex();
  const inFlight = new Set<string>();
  // A key confirmed at `time` is remembered until this moment. Index entries keep whole seconds, rounded up, and the
  // purge uses the same rounding, so an entry and its journal record expire together.
  const timeSecondsOf = (time: number) => Math.ceil(time / 1000);
  const expiresAt = (timeSeconds: number) => timeSeconds * 1000 + windowMs;

  // Sequence numbers and times only grow, so expired records are always a prefix of the journal.
  let nextRecord = 1;
  let lastTime = 0;
  const openedAt = Date.now();
  for (const { key: record, value } of journal.getRange()) {
    const { time, keys } = decodeJournalRecord(value);
    nextRecord = record + 1;
    lastTime = Math.max(lastTime, time);
    const timeSeconds = timeSecondsOf(time);
    if (expiresAt(timeSeconds) <= openedAt) continue; // the purge deletes it
    for (const key of keys) index.add(index.fingerprint(key), { record, timeSeconds });
  }

  /** True when `key` was confirmed and its window has not passed; `records` caches journal records for one call. */
  function remembered(key: string, now: number, records: Map<number, Set<string>>): boolean {
    return index.some(index.fingerprint(key), ({ record, timeSeconds }) => {
      if (expiresAt(timeSeconds) <= now) return false;
      let keys = records.get(record);
      if (!keys) {
        const value = journal.getBinary(record);
        // A record that is gone cannot prove a duplicate: letting the event through risks only a duplicate append,
        // which downstream stores absorb, never a lost one.
        keys = new Set(value ? decodeJournalRecord(value).keys : []);
        records.set(record, keys);
      }
      return keys.has(key);
    });
  }

  async function purgeExpired(): Promise<number> {
    const now = Date.now();
    let purged = 0;
    for (;;) {
      const expired: { record: number; keys: Set<string> }[] = [];
      let chunk = 0;
      for (const { key: record, value } of journal.getRange()) {
        const { time, keys } = decodeJournalRecord(value);
        if (expiresAt(timeSecondsOf(time)) > now || chunk >= PURGE_CHUNK) break;
        expired.push({ record, keys: new Set(keys) });
        chunk += keys.length;
      }
      if (expired.length === 0) return purged;
      await root.transaction(() => {
        for (const { record } of expired) void journal.remove(record);
      });
      for (const { record, keys } of expired) {
        for (const key of keys) index.remove(index.fingerprint(key), record);
        purged += keys.size;
      }
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
      // Synchronous from here to the return: no other claim can interleave, so two requests are never both granted a
      // key.
      const now = Date.now();
      const records = new Map<number, Set<string>>();
      // Later occurrences of a key in this call are duplicates of the first, whatever it was found to be.
      const seenHere = new Set<string>();
      return keys.map((key): Claim => {
        const repeated = seenHere.has(key);
        seenHere.add(key);
        if (repeated || remembered(key, now, records)) return "duplicate";
        if (inFlight.has(key)) return "in_flight";
        inFlight.add(key);
        return "granted";
      });
    },
    async confirm(keys) {
      const unique = [...new Set(keys)];
      if (unique.length === 0) return;
      const record = nextRecord++;
      const time = (lastTime = Math.max(lastTime, Date.now()));
      try {
        await journal.put(record, encodeJournalRecord({ time, keys: unique }));
      } catch (error) {
        throw new InfrastructureError("could not record confirmed keys in the dedup store", { cause: error });
      }
      // Only now, with the confirmation durable and indexed, may the claims go: in between a retry would have been let
      // through.
      const timeSeconds = timeSecondsOf(time);
      for (const key of unique) index.add(index.fingerprint(key), { record, timeSeconds });
      for (const key of unique) inFlight.delete(key);
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

/**
 * Moves a window written by the earlier layout (`confirmed`: key → time, and `by-time`: [time, key]) into the
 * journal, one record per confirm time, and drops the old databases. Runs once; a store without them skips it.
 */
async function migrateKeyedLayout(root: RootDatabase, journal: Database<Buffer, number>): Promise<void> {
  // The root database's keys are the names of the named ones; opening a name that is not there would create it.
  const names = new Set(root.getKeys());
  if (!names.has("by-time") || !names.has("confirmed")) return;
  const byTime = root.openDB<true, [number, string]>({ name: "by-time" });
  const confirmedAt = root.openDB<number, string>({ name: "confirmed" });
  await root.transaction(() => {
    let record = 1;
    for (const { key } of journal.getRange({ reverse: true, limit: 1 })) record = key + 1;
    let time: number | undefined;
    let keys: string[] = [];
    const flush = () => {
      if (time !== undefined && keys.length > 0) void journal.put(record++, encodeJournalRecord({ time, keys }));
      keys = [];
    };
    for (const [at, key] of byTime.getKeys()) {
      if (at !== time) flush();
      time = at;
      // An index entry left behind by a later confirmation of the same key is stale: only the latest time counts.
      if (confirmedAt.get(key) === at) keys.push(key);
    }
    flush();
  });
  await byTime.drop();
  await confirmedAt.drop();
}
