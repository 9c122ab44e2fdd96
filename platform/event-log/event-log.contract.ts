import { randomBytes, randomUUID } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BatchHandler, EventLog, LogBatch, LogMessage, LogPosition, LogRecord } from "./event-log.ts";

/** A log under test: how to reopen it on the same storage (when it can be) and how to clean it away. */
export interface EventLogWorld {
  log: EventLog;
  /** Opens the log again on the same storage; the contract closes `log` first. */
  reopen?: () => Promise<EventLog>;
  /** Closes whatever was opened and removes what the world created. */
  cleanup: () => Promise<void>;
}

/** Knobs for slower adapters (a Kafka group join takes seconds). */
export interface EventLogContractOptions {
  /** Longest wait for a consumer to see what it should, ms. Default 10 000. */
  waitTimeoutMs?: number;
  /** Timeout of each test, ms. Default 30 000. */
  testTimeoutMs?: number;
  /** Runs of the property test; each run uses a fresh topic. Default 25. */
  propertyRuns?: number;
  /** Page size of full reads; small pages exercise paging, large ones spare slow reads. Default 37. */
  readPageSize?: number;
}

/** Waits until `predicate` holds, checking every few milliseconds; fails with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every record of a topic, by partition, read in pages from offset 0. */
export async function readAll(log: EventLog, topic: string, pageSize = 37): Promise<LogRecord[][]> {
  const ends = await log.endOffsets(topic);
  return Promise.all(
    ends.map(async (end, partition) => {
      const records: LogRecord[] = [];
      while (records.length < end) {
        const page = await log.read(topic, partition, records.length, pageSize);
        if (page.length === 0) break;
        records.push(...page);
      }
      return records;
    }),
  );
}

const text = (key: string, value: string): LogMessage => ({ key, value: Buffer.from(value) });
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const uniqueName = (what: string) => `contract-${what}-${randomUUID()}`;

/** Records what a consumer hands over, and whether two batches of one partition were ever in flight at once. */
function recorder(onBatch: (batch: LogBatch) => Promise<void> = async () => undefined) {
  const batches: LogBatch[] = [];
  const inFlight = new Set<number>();
  let overlapped = false;
  const handler: BatchHandler = async (batch) => {
    if (inFlight.has(batch.partition)) overlapped = true;
    inFlight.add(batch.partition);
    try {
      // Yield so that batches of other partitions (and, if the log were wrong, of this one) can interleave.
      await new Promise((resolve) => setImmediate(resolve));
      await onBatch(batch);
      batches.push(batch);
    } finally {
      inFlight.delete(batch.partition);
    }
  };
  return {
    handler,
    batches,
    records: () => batches.flatMap((batch) => batch.records),
    overlapped: () => overlapped,
  };
}

function offsetsByPartition(records: LogRecord[], partitions: number): number[][] {
  const offsets = range(0, partitions).map((): number[] => []);
  for (const record of records) offsets[record.partition]?.push(record.offset);
  return offsets;
}

/**
 * What a consumer of `group` without `startAt` is handed, up to `count` records: each partition from the group's
 * committed offset on. A commit is seen only this way through the interface, which is all a commit promises.
 */
async function consumeFromCommitted(
  log: EventLog,
  topic: string,
  group: string,
  count: number,
  waitMs: number,
): Promise<LogRecord[]> {
  const seen = recorder();
  const consumer = await log.consume({ topic, group, maxBatchSize: 50 }, seen.handler);
  try {
    await waitFor(() => seen.records().length >= count, waitMs, `${count} records from the committed offsets`);
  } finally {
    await consumer.stop();
  }
  return seen.records();
}

/**
 * The promises every EventLog adapter keeps, as one vitest suite: offsets, per-key order, byte-exact
 * reads, durable commits, exactly-once replay, and consumers that deliver in order and resume cleanly.
 */
export function describeEventLogContract(
  name: string,
  makeLog: () => Promise<EventLogWorld>,
  options: EventLogContractOptions = {},
): void {
  const waitMs = options.waitTimeoutMs ?? 10_000;
  const testMs = options.testTimeoutMs ?? 30_000;
  const readEverything = (log: EventLog, topic: string) => readAll(log, topic, options.readPageSize ?? 37);

  async function withWorld(run: (world: EventLogWorld) => Promise<void>): Promise<void> {
    const world = await makeLog();
    try {
      await run(world);
    } finally {
      await world.cleanup();
    }
  }

  describe(`${name}: EventLog contract`, () => {
    it(
      "gives consecutive offsets per partition, continuing across appends",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const count = (await log.endOffsets(topic)).length;
          expect(count).toBeGreaterThan(0);
          const first = await log.append(
            topic,
            range(0, 60).map((i) => text(`key-${i % 12}`, `v${i}`)),
          );
          const second = await log.append(
            topic,
            range(60, 100).map((i) => text(`key-${i % 12}`, `v${i}`)),
          );
          const positions = [...first, ...second];
          expect(positions).toHaveLength(100);
          const offsets = range(0, count).map((partition) =>
            positions.filter((position) => position.partition === partition).map((position) => position.offset),
          );
          for (const partitionOffsets of offsets) expect(partitionOffsets).toEqual(range(0, partitionOffsets.length));
          expect(await log.endOffsets(topic)).toEqual(offsets.map((partitionOffsets) => partitionOffsets.length));
          expect(await log.append(topic, [])).toEqual([]);
        }),
      testMs,
    );

    it(
      "never gives one offset twice and keeps each key in one partition, across concurrent appends",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const calls = range(0, 40).map((call) =>
            range(0, 25).map((i) => text(`k${(call * 7 + i * 3) % 16}`, `${call}:${i}`)),
          );
          const results = await Promise.all(calls.map((messages) => log.append(topic, messages)));
          const taken = results.flat().map(({ partition, offset }) => `${partition}/${offset}`);
          expect(new Set(taken).size).toBe(taken.length);

          const stored = await readEverything(log, topic);
          expect(stored.flat()).toHaveLength(taken.length);
          const partitionOfKey = new Map<string, number>();
          calls.forEach((messages, call) => {
            const previous = new Map<string, number>();
            messages.forEach((message, i) => {
              const position = results[call]?.[i] as LogPosition;
              const record = stored[position.partition]?.[position.offset];
              expect(record?.key).toBe(message.key);
              expect(record?.value.equals(message.value)).toBe(true);
              expect(partitionOfKey.get(message.key) ?? position.partition).toBe(position.partition);
              partitionOfKey.set(message.key, position.partition);
              // Within one append, a key's messages keep their input order.
              expect(position.offset).toBeGreaterThan(previous.get(message.key) ?? -1);
              previous.set(message.key, position.offset);
            });
          });
        }),
      testMs,
    );

    it(
      "reads back exactly the bytes appended",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const messages: LogMessage[] = [
            { key: "empty", value: Buffer.alloc(0) },
            { key: "nul-bytes", value: Buffer.from([0, 255, 0, 1]) },
            { key: "mariée-💍", value: Buffer.from('{"guests":120,"note":"été 🌸"}') },
            { key: "large", value: randomBytes(256 * 1024) },
            ...range(0, 20).map((i) => ({ key: `random-${i}`, value: randomBytes(i * 13) })),
          ];
          const before = Date.now();
          const positions = await log.append(topic, messages);
          const stored = await readEverything(log, topic);
          expect(stored.flat()).toHaveLength(messages.length);
          for (const [i, message] of messages.entries()) {
            const position = positions[i] as LogPosition;
            const record = stored[position.partition]?.[position.offset];
            expect(record).toMatchObject({ topic, ...position, key: message.key });
            expect(record?.value.equals(message.value)).toBe(true);
            expect(record?.timestamp).toBeGreaterThanOrEqual(before - 60_000);
          }
          const ends = await log.endOffsets(topic);
          const busiest = ends.indexOf(Math.max(...ends));
          const end = ends[busiest] ?? 0;
          expect(await log.read(topic, busiest, end, 10)).toEqual([]);
          expect(await log.read(topic, busiest, 0, 0)).toEqual([]);
          const middle = await log.read(topic, busiest, 1, 2);
          expect(middle).toEqual(stored[busiest]?.slice(1, 3));
        }),
      testMs,
    );

    it(
      "keeps committed offsets, across a restart when the log can be reopened",
      () =>
        withWorld(async (world) => {
          const topic = uniqueName("topic");
          const group = uniqueName("group");
          await world.log.append(
            topic,
            range(0, 40).map((i) => text(`key-${i % 9}`, `v${i}`)),
          );
          const ends = await world.log.endOffsets(topic);
          const expected = ends.map((end) => Math.floor(end / 2));
          for (const [partition, offset] of expected.entries()) {
            if (offset > 0) await world.log.commit(group, topic, partition, offset);
          }
          let log = world.log;
          if (world.reopen) {
            await world.log.close();
            log = await world.reopen();
            expect(await log.endOffsets(topic)).toEqual(ends);
          }

          const remaining = ends.reduce((sum, end, partition) => sum + end - (expected[partition] ?? 0), 0);
          const resumed = await consumeFromCommitted(log, topic, group, remaining, waitMs);
          expect(offsetsByPartition(resumed, ends.length)).toEqual(
            ends.map((end, partition) => range(expected[partition] ?? 0, end)),
          );
          if (!world.reopen) return;
          // Next offsets are recovered too: a new append continues its partition.
          const [position] = await log.append(topic, [text("key-0", "after restart")]);
          expect(position?.offset).toBe(ends[position?.partition ?? -1]);
        }),
      testMs,
    );

    it(
      "replays every appended message exactly once from offset 0",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const ledger: string[] = [];
          for (let round = 0; round < 5; round++) {
            const values = range(0, 120).map((i) => `r${round}-m${i}`);
            ledger.push(...values);
            const messages = values.map((value, i) => text(`wedding-${(i * 31 + round) % 23}`, value));
            await Promise.all([log.append(topic, messages.slice(0, 50)), log.append(topic, messages.slice(50))]);
          }
          const replayed = (await readEverything(log, topic)).flat().map((record) => record.value.toString());
          expect(replayed).toHaveLength(ledger.length);
          expect([...replayed].sort()).toEqual([...ledger].sort());
        }),
      testMs,
    );

    it(
      "keeps each key's append order whatever the interleaving of keys and batch sizes (property)",
      () =>
        withWorld(async ({ log }) => {
          await fc.assert(
            fc.asyncProperty(
              fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 80 }),
              fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
              async (keys, sizes) => {
                const topic = uniqueName("property");
                const messages = keys.map((key, i) => text(`key-${key}`, `${i}`));
                for (let start = 0, batch = 0; start < messages.length; batch++) {
                  const size = sizes[batch % sizes.length] ?? 1;
                  await log.append(topic, messages.slice(start, start + size));
                  start += size;
                }
                const readOrder = new Map<string, string[]>();
                for (const record of (await readEverything(log, topic)).flat()) {
                  readOrder.set(record.key, [...(readOrder.get(record.key) ?? []), record.value.toString()]);
                }
                const appendOrder = new Map<string, string[]>();
                for (const message of messages) {
                  appendOrder.set(message.key, [...(appendOrder.get(message.key) ?? []), message.value.toString()]);
                }
                expect(readOrder).toEqual(appendOrder);
              },
            ),
            { numRuns: options.propertyRuns ?? 25 },
          );
        }),
      testMs,
    );

    it(
      "delivers every message to a consumer exactly once, in partition order, in bounded batches",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const group = uniqueName("group");
          await log.append(
            topic,
            range(0, 150).map((i) => text(`k${i % 29}`, `v${i}`)),
          );
          const ends = await log.endOffsets(topic);
          const seen = recorder();
          const consumer = await log.consume({ topic, group, maxBatchSize: 7 }, seen.handler);
          await waitFor(() => seen.records().length >= 150, waitMs, "150 records");
          await consumer.stop();
          await consumer.done;

          expect(seen.overlapped()).toBe(false);
          expect(offsetsByPartition(seen.records(), ends.length)).toEqual(ends.map((end) => range(0, end)));
          for (const batch of seen.batches) {
            expect(batch.topic).toBe(topic);
            expect(batch.records.length).toBeGreaterThan(0);
            expect(batch.records.length).toBeLessThanOrEqual(7);
            expect(batch.records.every((record) => record.partition === batch.partition)).toBe(true);
            expect(batch.highWatermark).toBeGreaterThan(batch.records.at(-1)?.offset ?? Infinity);
          }
          // The consumer does not commit by itself: the group's next consumer is handed everything again.
          const again = await consumeFromCommitted(log, topic, group, 150, waitMs);
          expect(offsetsByPartition(again, ends.length)).toEqual(ends.map((end) => range(0, end)));
        }),
      testMs,
    );

    it(
      "starts each partition where startAt says, else at the group's committed offset",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const group = uniqueName("group");
          await log.append(
            topic,
            range(0, 160).map((i) => text(`k${i % 41}`, `v${i}`)),
          );
          const ends = await log.endOffsets(topic);
          const committed = ends.map((end, partition) => (partition % 2 === 1 ? Math.min(3, end) : 0));
          for (const [partition, offset] of committed.entries()) {
            if (offset > 0) await log.commit(group, topic, partition, offset);
          }
          const wanted = (partition: number) => (partition % 2 === 0 ? Math.min(5, ends[partition] ?? 0) : undefined);
          const starts = ends.map((_, partition) => wanted(partition) ?? committed[partition] ?? 0);
          const asked: number[] = [];
          const seen = recorder();
          const consumer = await log.consume(
            {
              topic,
              group,
              maxBatchSize: 50,
              startAt: async (partition) => {
                asked.push(partition);
                return wanted(partition);
              },
            },
            seen.handler,
          );
          const expectedCount = ends.reduce((sum, end, partition) => sum + end - (starts[partition] ?? 0), 0);
          await waitFor(() => seen.records().length >= expectedCount, waitMs, `${expectedCount} records`);
          await consumer.stop();

          expect(new Set(asked)).toEqual(new Set(range(0, ends.length)));
          expect(offsetsByPartition(seen.records(), ends.length)).toEqual(
            ends.map((end, partition) => range(starts[partition] ?? 0, end)),
          );
        }),
      testMs,
    );

    it(
      "resumes from the committed offset after stop and restart, without duplicates or gaps",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const group = uniqueName("group");
          // Commits after each batch, as a processor does once the batch's effects are durable.
          const commitEach = async (batch: LogBatch) => {
            const last = batch.records.at(-1);
            if (last) await log.commit(group, topic, batch.partition, last.offset + 1);
          };
          await log.append(
            topic,
            range(0, 100).map((i) => text(`k${i % 17}`, `a${i}`)),
          );
          const first = recorder(commitEach);
          const firstConsumer = await log.consume({ topic, group, maxBatchSize: 5 }, first.handler);
          await waitFor(() => first.records().length >= 40, waitMs, "40 records");
          await firstConsumer.stop();
          await firstConsumer.done;

          await log.append(
            topic,
            range(0, 60).map((i) => text(`k${i % 17}`, `b${i}`)),
          );
          const ends = await log.endOffsets(topic);
          // The second consumer begins where the first one's commits say: together they see every record once.
          const second = recorder(commitEach);
          const secondConsumer = await log.consume({ topic, group, maxBatchSize: 5 }, second.handler);
          await waitFor(() => first.records().length + second.records().length >= 160, waitMs, "160 records");
          await secondConsumer.stop();

          const delivered = [...first.records(), ...second.records()];
          expect(delivered).toHaveLength(160);
          expect(offsetsByPartition(delivered, ends.length)).toEqual(ends.map((end) => range(0, end)));
          // The second one's commits hold too: the group's next consumer is handed only what is appended after.
          await log.append(
            topic,
            range(0, 20).map((i) => text(`k${i % 17}`, `c${i}`)),
          );
          const later = await log.endOffsets(topic);
          const third = await consumeFromCommitted(log, topic, group, 20, waitMs);
          expect(offsetsByPartition(third, ends.length)).toEqual(
            ends.map((end, partition) => range(end, later[partition] ?? end)),
          );
        }),
      testMs,
    );

    it(
      "rejects done when a handler rejects, and lets the group consume again afterwards",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const group = uniqueName("group");
          await log.append(
            topic,
            range(0, 10).map((i) => text(`k${i}`, `v${i}`)),
          );
          const failing = await log.consume({ topic, group, maxBatchSize: 100 }, async () => {
            throw new Error("handler failed on purpose");
          });
          await expect(failing.done).rejects.toThrow("handler failed on purpose");
          await failing.stop();

          const seen = recorder();
          const retry = await log.consume({ topic, group, maxBatchSize: 100 }, seen.handler);
          await waitFor(() => seen.records().length >= 10, waitMs, "10 records after the failure");
          await retry.stop();
          expect(seen.records()).toHaveLength(10);
        }),
      testMs,
    );

    it(
      "delivers appends made after the consumer caught up",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const group = uniqueName("group");
          await log.append(topic, [text("early", "e0")]);
          const seen = recorder();
          const consumer = await log.consume({ topic, group, maxBatchSize: 10 }, seen.handler);
          await waitFor(() => seen.records().length >= 1, waitMs, "the first record");
          for (let round = 1; round <= 3; round++) {
            await log.append(
              topic,
              range(0, 5).map((i) => text(`late-${i}`, `r${round}-${i}`)),
            );
            await waitFor(() => seen.records().length >= 1 + round * 5, waitMs, `round ${round} delivered`);
          }
          await consumer.stop();
          expect(
            seen
              .records()
              .map((record) => record.value.toString())
              .sort(),
          ).toEqual(["e0", ...range(1, 4).flatMap((round) => range(0, 5).map((i) => `r${round}-${i}`))].sort());
        }),
      testMs,
    );

    it(
      "stop resolves only after the handler in flight finished; close stops consumers",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          await log.append(topic, [text("k", "v")]);
          let release: () => void = () => undefined;
          const released = new Promise<void>((resolve) => (release = resolve));
          let entered = false;
          let finished = false;
          const consumer = await log.consume({ topic, group: uniqueName("group"), maxBatchSize: 10 }, async () => {
            entered = true;
            await released;
            finished = true;
          });
          await waitFor(() => entered, waitMs, "the handler to start");
          let finishedWhenStopped: boolean | undefined;
          const stopping = consumer.stop().then(() => (finishedWhenStopped = finished));
          await new Promise((resolve) => setImmediate(resolve));
          expect(finishedWhenStopped).toBeUndefined();
          release();
          await stopping;
          expect(finishedWhenStopped).toBe(true);
          await consumer.done;

          const idleGroup = uniqueName("group");
          const idle = await log.consume({ topic, group: idleGroup, maxBatchSize: 10 }, async () => undefined);
          await log.close();
          await idle.done;
        }),
      testMs,
    );

    it(
      "refuses a second consumer of one group and topic in the same process",
      () =>
        withWorld(async ({ log }) => {
          const topic = uniqueName("topic");
          const group = uniqueName("group");
          await log.endOffsets(topic);
          const consumer = await log.consume({ topic, group, maxBatchSize: 10 }, async () => undefined);
          await expect(log.consume({ topic, group, maxBatchSize: 10 }, async () => undefined)).rejects.toMatchObject({
            code: "consumer_group_busy",
          });
          await consumer.stop();
        }),
      testMs,
    );
  });
}
