import { randomUUID } from "node:crypto";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";

/**
 * How long kafkajs's fetch loop sleeps while every partition is paused, ms, and so the most an idle reader adds to a
 * read before fetching it. kafkajs's default (5 s) would be paid by nearly every read. An idle reader wakes fifty times
 * a second for a few local checks that send nothing to the broker but the group's heartbeat, every few seconds. It is
 * also the broker's longest wait on a fetch, which a read never makes wait: it asks only for offsets below the
 * partition's end.
 */
const IDLE_FETCH_WAIT_MS = 20;

/** What a topic reader needs. */
export interface KafkaTopicReaderOptions {
  /** The client the reader's consumers are made from. */
  kafka: Kafka;
  topic: string;
  /** Prefix of the reader's group ids; each consumer gets a group of its own under it. */
  groupPrefix: string;
  /** Longest a read waits for its range once its turn comes, ms. */
  timeoutMs: number;
}

/** Reads ranges of one topic's partitions through one long-lived consumer, one read at a time. */
export interface KafkaTopicReader {
  /** The messages of `partition` from `offset` up to, not including, `stopAt` (at most the partition's end), in order. */
  read(partition: number, offset: number, stopAt: number): Promise<KafkaMessage[]>;
  /** Ends the read in progress and those waiting (they reject) and disconnects the consumer. */
  close(): Promise<void>;
}

/** The read being served. */
interface Request {
  partition: number;
  /** Next offset wanted: every message from the read's offset up to here is in `messages`. */
  next: number;
  stopAt: number;
  messages: KafkaMessage[];
  /** Resolves the read with its messages. */
  finish: () => void;
  /** Rejects the read, and retires the session that served it. */
  abort: (error: unknown) => void;
}

/** One kafkajs consumer in a group of its own, and the read it serves. */
interface Session {
  consumer: Consumer;
  /** Settles once `run` returns: the group joined, or the first join crashed. */
  started: Promise<void>;
  /** Whether kafkajs has a group for the consumer: seek, pause and resume throw between a crash and the restart's join. */
  joined: boolean;
  request?: Request;
  /** Set once the session serves no more reads; its consumer is then disconnected. */
  retired: boolean;
  /** Why the session was retired, for a read that was waiting for it to start. */
  failure?: unknown;
}

/**
 * Creates the reader of a topic. kafkajs 2 has no `assign`, so the reader's consumer joins a group of its own (which
 * gives it every partition), keeps every partition paused, and serves a read by seeking the read's partition to its
 * offset and resuming it until the range is fetched. The group is joined once, on the first read: a join costs
 * seconds on a broker with the default group.initial.rebalance.delay.ms, a seek costs nothing. Nothing is ever
 * committed. The consumer is replaced, on the next read, when it crashes for good or a read times out.
 */
export function createKafkaTopicReader({
  kafka,
  topic,
  groupPrefix,
  timeoutMs,
}: KafkaTopicReaderOptions): KafkaTopicReader {
  let current: Session | undefined;
  let closed = false;
  // Reads run one after the other: a consumer has one position per partition, and one read moves it at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const stopping = new Set<Promise<void>>();

  function open(): Session {
    const consumer = kafka.consumer({
      groupId: `${groupPrefix}-${randomUUID()}`,
      maxWaitTimeInMs: IDLE_FETCH_WAIT_MS,
      allowAutoTopicCreation: false,
    });
    const session: Session = { consumer, started: Promise.resolve(), joined: false, retired: false };
    // On every join (the first, a rebalance's, a restart's) kafkajs drops its positions, and on a restart's what was
    // paused: the idle partitions are paused again, and the read in progress carries on from where it got.
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      session.joined = true;
      const wanted = session.request?.partition;
      const idle = (event.payload.memberAssignment[topic] ?? []).filter((partition) => partition !== wanted);
      if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
      position(session);
    });
    // kafkajs restarts the consumer by itself after a retriable failure (it then joins again); any other ends it.
    consumer.on(consumer.events.CRASH, (event) => {
      session.joined = false;
      if (!event.payload.restart) fail(session, event.payload.error);
    });
    session.started = (async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => take(session, payload),
      });
    })();
    return session;
  }

  /** Points the consumer at the next offset the read wants, and lets that partition be fetched. */
  function position(session: Session): void {
    const { consumer, request } = session;
    if (!request || !session.joined) return;
    try {
      consumer.seek({ topic, partition: request.partition, offset: String(request.next) });
      consumer.resume([{ topic, partitions: [request.partition] }]);
    } catch (error) {
      request.abort(error);
    }
  }

  /**
   * Adds what a fetched batch holds to the read in progress. A batch that starts past the next wanted offset was
   * fetched from a position before the read's seek and is ignored; one that covers it holds the right messages from
   * wherever it was fetched, the log being immutable.
   */
  function take(session: Session, { batch, resolveOffset }: EachBatchPayload): void {
    const { request } = session;
    if (!request || batch.partition !== request.partition) return;
    const first = batch.firstOffset();
    if (first === null || Number(first) > request.next) return;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      if (offset >= request.next && offset < request.stopAt) {
        request.messages.push(message);
        request.next = offset + 1;
      }
    }
    // Offsets of the batch past its last message are control records, no messages; kafkajs fetches past them too.
    request.next = Math.max(request.next, Math.min(Number(batch.lastOffset()) + 1, request.stopAt));
    if (request.next >= request.stopAt) {
      request.finish();
      return;
    }
    // kafkajs fetches on from one past the offset resolved last. Resolving here rather than automatically keeps an
    // ignored batch from moving it.
    resolveOffset(batch.lastOffset());
  }

  function fail(session: Session, error: unknown): void {
    if (session.request) session.request.abort(error);
    else retire(session, error);
  }

  function retire(session: Session, error: unknown): void {
    if (session.retired) return;
    session.retired = true;
    session.failure = error;
    if (current === session) current = undefined;
    // Disconnects only once `run` has returned: a consumer disconnected while it joins crashes into a restart of its
    // own. A broken consumer may fail to leave its group; the broker then drops it after its session timeout.
    const stopped = session.started
      .catch(() => undefined)
      .then(() => session.consumer.disconnect())
      .catch(() => undefined);
    stopping.add(stopped);
    void stopped.then(() => stopping.delete(stopped));
  }

  function serve(partition: number, offset: number, stopAt: number): Promise<KafkaMessage[]> {
    if (closed) return Promise.reject(new Error("the reader is closed"));
    const session = (current ??= open());
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => request.abort(new Error(`range not fetched within ${timeoutMs} ms`)), timeoutMs);
      const settle = () => {
        settled = true;
        clearTimeout(timer);
        if (session.request === request) session.request = undefined;
      };
      const request: Request = {
        partition,
        next: offset,
        stopAt,
        messages: [],
        finish: () => {
          if (settled) return;
          settle();
          session.consumer.pause([{ topic, partitions: [partition] }]);
          resolve(request.messages);
        },
        // A reader that could not serve a read (a crash, a join or fetch that never came) is in no state to trust
        // with the next: that one gets a new consumer.
        abort: (error) => {
          if (settled) return;
          settle();
          retire(session, error);
          reject(error);
        },
      };
      session.started.then(
        () => {
          if (settled) return;
          if (session.retired) {
            request.abort(session.failure);
            return;
          }
          session.request = request;
          position(session);
        },
        (error: unknown) => request.abort(error),
      );
    });
  }

  return {
    read(partition, offset, stopAt) {
      const turn = queue.then(() => serve(partition, offset, stopAt));
      queue = turn.catch(() => undefined);
      return turn;
    },

    async close() {
      closed = true;
      if (current) fail(current, new Error("the reader is closed"));
      await Promise.all(stopping);
    },
  };
}
