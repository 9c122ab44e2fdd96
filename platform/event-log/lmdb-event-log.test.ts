import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LogUnavailableError } from "../errors.ts";
import { describeEventLogContract, readAll, waitFor } from "./event-log.contract.ts";
import type { EventLog, LogRecord } from "./event-log.ts";
import { createLmdbEventLog } from "./lmdb-event-log.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const appendUntilKilled = fileURLToPath(new URL("./fixtures/append-until-killed.ts", import.meta.url));

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "wedsync-lmdb-log-"));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Once as configured by default, where readers mostly get the latest appends from memory, and once holding none in
// memory, so that every read goes through LMDB.
for (const [name, recentBytesPerPartition] of [
  ["lmdb", undefined],
  ["lmdb, every read from the map", 0],
] as const) {
  describeEventLogContract(name, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "wedsync-lmdb-log-"));
    const opened: EventLog[] = [];
    const openLog = async () => {
      const log = await createLmdbEventLog({ path: dir, partitions: 4, recentBytesPerPartition });
      opened.push(log);
      return log;
    };
    return {
      log: await openLog(),
      reopen: openLog,
      cleanup: async () => {
        await Promise.all(opened.map((log) => log.close()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

/** Starts the fixture; `onValues` gets the values of every acknowledged append, as soon as it is printed. */
function startAppender(dir: string, topic: string, prefix: string, onValues: (values: string[]) => void) {
  const child = spawn(process.execPath, ["--import", "tsx", appendUntilKilled, dir, topic, prefix], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let pending = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("appended ")) onValues(line.slice("appended ".length).split(","));
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // "close" comes after the child's stdout is drained, so every acknowledgement it printed has been seen.
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, signal) => resolve(signal)));
  return { child, exited, stderr: () => stderr };
}

async function kill(child: ChildProcess, exited: Promise<NodeJS.Signals | null>): Promise<NodeJS.Signals | null> {
  child.kill("SIGKILL");
  return exited;
}

function expectEachOnceAndDense(stored: LogRecord[][], values: Iterable<string>): void {
  stored.forEach((records, partition) => {
    expect(records.map((record) => record.offset)).toEqual(records.map((_, i) => i));
    expect(records.every((record) => record.partition === partition)).toBe(true);
  });
  const counts = new Map<string, number>();
  for (const record of stored.flat()) {
    const value = record.value.toString();
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  for (const value of values) expect(counts.get(value), value).toBe(1);
  expect([...counts.values()].every((count) => count === 1)).toBe(true);
}

describe("lmdb event log", () => {
  it("keeps every append that resolved before a kill -9", async () => {
    await withTempDir(async (dir) => {
      const acknowledged: string[] = [];
      let killed: Promise<NodeJS.Signals | null> | undefined;
      const appender = startAppender(dir, "crash", "child", (values) => {
        acknowledged.push(...values);
        // Kill right after an acknowledgement, while the other loops' appends are in flight.
        if (acknowledged.length >= 3000) killed ??= kill(appender.child, appender.exited);
      });
      try {
        const signal = await Promise.race([
          appender.exited.then((early) => {
            if (!killed) throw new Error(`the appender exited before it was killed (${early}): ${appender.stderr()}`);
            return killed;
          }),
          waitFor(() => killed !== undefined, 20_000, "3000 acknowledged appends").then(() => killed),
        ]);
        expect(signal).toBe("SIGKILL");
      } finally {
        appender.child.kill("SIGKILL");
      }

      const log = await createLmdbEventLog({ path: dir, partitions: 4 });
      try {
        const stored = await readAll(log, "crash", 1000);
        expect(stored.flat().length).toBeGreaterThanOrEqual(acknowledged.length);
        expectEachOnceAndDense(stored, acknowledged);
      } finally {
        await log.close();
      }
    });
  }, 30_000);

  it("shares one path between processes: no offset given twice, and a consumer sees the other's appends", async () => {
    await withTempDir(async (dir) => {
      const log = await createLmdbEventLog({ path: dir, partitions: 4 });
      try {
        await log.endOffsets("shared");
        const delivered: LogRecord[] = [];
        const consumer = await log.consume({ topic: "shared", group: "g", maxBatchSize: 500 }, async (batch) => {
          delivered.push(...batch.records);
        });
        const fromChild: string[] = [];
        const fromParent: string[] = [];
        const appender = startAppender(dir, "shared", "child", (values) => fromChild.push(...values));
        try {
          await waitFor(() => fromChild.length > 0, 20_000, "the child's first append");
          const childBefore = fromChild.length;
          // Appends from this process to the same partitions while the child keeps appending.
          for (let round = 0; round < 40; round++) {
            const values = Array.from({ length: 25 }, (_, i) => `parent-${round}-${i}`);
            const messages = values.map((value, i) => ({ key: `wedding-${i % 11}`, value: Buffer.from(value) }));
            await log.append("shared", messages);
            fromParent.push(...values);
          }
          await waitFor(() => fromChild.length > childBefore + 100, 20_000, "100 more appends from the child");
        } finally {
          await kill(appender.child, appender.exited);
        }
        const stored = await readAll(log, "shared", 1000);
        expectEachOnceAndDense(stored, [...fromParent, ...fromChild]);
        const total = stored.flat().length;
        await waitFor(() => delivered.length >= total, 5_000, "the consumer to catch up with both processes");
        await consumer.stop();

        const deliveredValues = new Set(delivered.map((record) => record.value.toString()));
        expect(deliveredValues.size).toBe(delivered.length);
        for (const value of [...fromParent, ...fromChild]) expect(deliveredValues.has(value), value).toBe(true);
      } finally {
        await log.close();
      }
    });
  }, 30_000);

  it("keeps the stored partition count of an existing topic", async () => {
    await withTempDir(async (dir) => {
      const first = await createLmdbEventLog({ path: dir, partitions: 4 });
      expect(await first.endOffsets("events")).toHaveLength(4);
      await first.close();
      const second = await createLmdbEventLog({ path: dir, partitions: 8 });
      try {
        expect(await second.endOffsets("events")).toHaveLength(4);
        expect(await second.endOffsets("newer")).toHaveLength(8);
      } finally {
        await second.close();
      }
    });
  });

  it("answers LogUnavailableError once closed, and rejects unusable arguments", async () => {
    await withTempDir(async (dir) => {
      await expect(createLmdbEventLog({ path: dir, partitions: 0 })).rejects.toMatchObject({
        code: "invalid_argument",
      });
      const log = await createLmdbEventLog({ path: dir, partitions: 2 });
      await expect(log.read("events", 2, 0, 10)).rejects.toMatchObject({ code: "unknown_partition" });
      await expect(log.append("bad\u0000topic", [{ key: "k", value: Buffer.from("v") }])).rejects.toMatchObject({
        code: "invalid_argument",
      });
      await log.close();
      await log.close();
      await expect(log.append("events", [{ key: "k", value: Buffer.from("v") }])).rejects.toBeInstanceOf(
        LogUnavailableError,
      );
    });
  });
});

describe("the embedded log's recent appends in memory", () => {
  it("serves exactly what the log holds, whether a read falls inside what it keeps or before it", async () => {
    await withTempDir(async (dir) => {
      // Room for some 40 of these records per partition: most of what is appended has been let go again.
      const log = await createLmdbEventLog({ path: dir, partitions: 3, recentBytesPerPartition: 40 * 300 });
      const fromMap = await createLmdbEventLog({ path: dir, partitions: 3, recentBytesPerPartition: 0 });
      try {
        for (let batch = 0; batch < 30; batch++) {
          const messages = Array.from({ length: 1 + (batch % 7) * 5 }, (_, i) => ({
            key: `wedding-${(batch * 13 + i) % 17}`,
            value: Buffer.from(`${batch}-${i}-${"v".repeat((batch * 31 + i * 7) % 150)}`),
          }));
          await log.append("events", messages);
        }
        const ends = await log.endOffsets("events");
        for (let partition = 0; partition < 3; partition++) {
          const end = ends[partition]!;
          expect(end).toBeGreaterThan(60);
          for (const [offset, limit] of [
            [0, 10],
            [end - 50, 30],
            [end - 20, 100],
            [end - 1, 5],
            [end, 5],
          ] as const) {
            const served = await log.read("events", partition, offset, limit);
            const stored = await fromMap.read("events", partition, offset, limit);
            expect(served, `partition ${partition} from ${offset}`).toEqual(stored);
          }
        }
      } finally {
        await fromMap.close();
        await log.close();
      }
    });
  });
});

describe("the embedded log's map", () => {
  it("grows a tiny map as the log fills, keeping every acknowledged append", async () => {
    await withTempDir(async (dir) => {
      // 64 KiB to start with, then 16 MiB of appends: every one must be acknowledged and read back, none refused.
      const log = await createLmdbEventLog({ path: dir, partitions: 2, initialMapBytes: 64 * 1024 });
      try {
        const payload = "x".repeat(4096);
        const values: string[] = [];
        for (let batch = 0; batch < 64; batch++) {
          const messages = Array.from({ length: 64 }, (_, i) => {
            const value = `${batch}-${i}-${payload}`;
            values.push(value);
            return { key: `wedding-${i % 7}`, value: Buffer.from(value) };
          });
          expect(await log.append("events", messages)).toHaveLength(64);
        }
        expectEachOnceAndDense(await readAll(log, "events"), values);
      } finally {
        await log.close();
      }
    });
  });
});

describe("the embedded log's free-space floor", () => {
  it("refuses appends as log_unavailable while the disk has less free than the floor, keeping what it holds", async () => {
    await withTempDir(async (dir) => {
      const before = await createLmdbEventLog({ path: dir, partitions: 2 });
      await before.append("t", [{ key: "w-1", value: Buffer.from("kept") }]);
      await before.close();

      // No disk this test runs on has a petabyte free.
      const full = await createLmdbEventLog({ path: dir, partitions: 2, minFreeBytes: 2 ** 50 });
      try {
        const refused = full.append("t", [{ key: "w-2", value: Buffer.from("refused") }]);
        await expect(refused).rejects.toBeInstanceOf(LogUnavailableError);
        await expect(refused).rejects.toThrow(/free, below LOG_MIN_FREE_MB \(1073741824 MiB\)/);
        expect((await full.endOffsets("t")).reduce((a, b) => a + b, 0)).toBe(1);
        const [kept] = (await readAll(full, "t")).flat();
        expect(kept?.value.toString()).toBe("kept");
      } finally {
        await full.close();
      }

      const roomy = await createLmdbEventLog({ path: dir, partitions: 2, minFreeBytes: 1 });
      try {
        await roomy.append("t", [{ key: "w-2", value: Buffer.from("taken") }]);
        expect((await roomy.endOffsets("t")).reduce((a, b) => a + b, 0)).toBe(2);
      } finally {
        await roomy.close();
      }
    });
  });
});
