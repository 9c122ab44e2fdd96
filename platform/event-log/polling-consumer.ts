import type { Logger } from "../logger.ts";
import type { BatchHandler, Consumer, LogRecord } from "./event-log.ts";

/** One topic of a log as a polling consumer sees it. */
export interface PollingSource {
  topic: string;
  /** Partition count of the topic; the consumer owns every partition. */
  partitions: number;
  /** Offset the consumer starts a partition at. */
  startOffset(partition: number): Promise<number>;
  /** Up to `limit` records of a partition from `offset` on. */
  read(partition: number, offset: number, limit: number): Promise<LogRecord[]>;
  /** Offset one past the partition's last record. */
  endOffset(partition: number): Promise<number>;
  /** A token taken before each read: waitForAppend returns at once if the topic grew since. */
  appendVersion(): number;
  /** Resolves when the topic may have new records, or when `abort` fires. */
  waitForAppend(since: number, abort: AbortSignal): Promise<void>;
}

/** What startPollingConsumer needs. */
export interface PollingConsumerOptions {
  source: PollingSource;
  group: string;
  maxBatchSize: number;
  handler: BatchHandler;
  logger?: Logger;
}

/**
 * Runs one read loop per partition: read a batch, hand it to the handler, advance, and wait for appends
 * when caught up. Partitions run concurrently; within one partition the next batch is read only after the
 * handler's promise settles, so batches of a partition are never handled out of order or at once.
 * Offsets are not committed here: the handler's owner commits where its own state is durable.
 */
export function startPollingConsumer(options: PollingConsumerOptions): Consumer {
  const { source, group, maxBatchSize, handler, logger } = options;
  const abort = new AbortController();
  let failure: { error: unknown } | undefined;

  async function runPartition(partition: number): Promise<void> {
    let offset = await source.startOffset(partition);
    while (!abort.signal.aborted) {
      const since = source.appendVersion();
      const records = await source.read(partition, offset, maxBatchSize);
      const last = records.at(-1);
      if (!last) {
        await source.waitForAppend(since, abort.signal);
        continue;
      }
      if (abort.signal.aborted) return;
      const highWatermark = await source.endOffset(partition);
      await handler({ topic: source.topic, partition, records, highWatermark });
      offset = last.offset + 1;
    }
  }

  const loops = Array.from({ length: source.partitions }, (_, partition) =>
    runPartition(partition).catch((error: unknown) => {
      if (!failure) {
        failure = { error };
        logger?.error(
          { event: "event_log_consumer_failed", topic: source.topic, group, partition, err: error },
          "consumer stopped by a failure",
        );
      }
      // One failed partition stops them all: the caller restarts the consumer as a whole.
      abort.abort();
    }),
  );

  const done = Promise.all(loops).then(() => {
    if (failure) throw failure.error;
  });
  // The failure is reported through `done`; this keeps a caller that only calls stop() from crashing the
  // process with an unhandled rejection, without hiding the error from anyone awaiting `done`.
  done.catch(() => undefined);

  return {
    done,
    async stop() {
      abort.abort();
      await Promise.all(loops);
    },
  };
}
