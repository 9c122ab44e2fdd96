import { isRetriable, OffsetsAheadOfLogError } from "../platform/errors.ts";
import type { Consumer } from "../platform/event-log/event-log.ts";
import { backoffDelayMs, type Backoff } from "../platform/retry-backoff.ts";
import { createBatchHandler, type BatchHandlerDeps } from "./batch-handler.ts";
import { loadOffsets } from "./write-batch.ts";

/** A running processor of one consumer group. */
export interface Processor {
  /** Starts consuming; restarts with backoff after an infrastructure failure until stopped. */
  start(): Promise<void>;
  /** Stops after the batch in flight. */
  stop(): Promise<void>;
  /**
   * Settles once the started processor has stopped for good: resolves after stop(), rejects with the error that stopped
   * it when retrying could not help (left unhandled, as the CLI leaves it, that rejection ends the process).
   */
  readonly done: Promise<void>;
}

/** What a processor needs. */
export interface ProcessorDeps extends BatchHandlerDeps {
  batchSize: number;
}

/** How the processor waits before restarting after an infrastructure failure: from up to 0.5 s, doubling, up to 30 s. */
const RESTART_BACKOFF: Backoff = { firstMs: 500, maxMs: 30_000 };

/** The consumer runtime: reads batches from the log and hands them to the batch handler. */
export function createProcessor(deps: ProcessorDeps): Processor {
  const { log, sql, logger, topic, group } = deps;
  let consumer: Consumer | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  async function runOnce(): Promise<void> {
    // Offsets live in Postgres beside the projections; the log's own committed offsets are advisory.
    const offsets = await loadOffsets(sql, group, topic);
    const ends = await log.endOffsets(topic);
    for (const [partition, { next }] of offsets) {
      if (next > (ends[partition] ?? 0)) {
        // Postgres remembers more than this log holds: the two stores belong to different installations.
        throw new OffsetsAheadOfLogError(
          `Postgres says partition ${partition} of ${topic} was processed up to ${next}, but the log ends at ${ends[partition] ?? 0}; ` +
            "the database and the log do not belong together (check DATABASE_URL and DATA_DIR / KAFKA_BROKERS)",
        );
      }
    }
    // Where each partition starts is read when the group hands it to this processor, not before: a partition taken
    // over from a member that died was committed (or left pending) by that member after this one started.
    const pendingEnds = new Map<number, number>();
    consumer = await log.consume(
      {
        topic,
        group,
        maxBatchSize: deps.batchSize,
        startAt: async (partition) => {
          const committed = (await loadOffsets(sql, group, topic)).get(partition);
          if (committed?.pendingEnd != null) pendingEnds.set(partition, committed.pendingEnd);
          else pendingEnds.delete(partition);
          return committed?.next ?? 0;
        },
      },
      createBatchHandler(deps, pendingEnds),
    );
    if (stopped) await consumer.stop();
    await consumer.done;
  }

  async function supervise(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        await runOnce();
        failures = 0;
      } catch (error) {
        if (stopped) break;
        // What retrying cannot fix (the stores not belonging together, a log that lost a pending range) stops the
        // processor for good rather than restarting it for ever.
        if (!isRetriable(error)) {
          logger.fatal({ event: "processor.fatal", err: error }, (error as Error).message);
          throw error;
        }
        failures++;
        deps.onFailure?.(error);
        const delay = backoffDelayMs(RESTART_BACKOFF, failures);
        logger.error(
          { event: "processor.failed", err: error, failures, retryInMs: Math.round(delay) },
          "processor stopped; restarting",
        );
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, delay).unref();
        });
      }
    }
  }

  return {
    async start() {
      stopped = false;
      running = supervise();
    },
    async stop() {
      stopped = true;
      wake?.();
      await consumer?.stop();
      await running;
    },
    get done() {
      return running ?? Promise.resolve();
    },
  };
}
