/** One message to append: the key chooses the partition, so one key's messages stay in order. */
export interface LogMessage {
  key: string;
  value: Buffer;
}

/** Where an appended message landed. */
export interface LogPosition {
  partition: number;
  offset: number;
}

/** One stored message as a consumer sees it. */
export interface LogRecord extends LogPosition {
  topic: string;
  key: string;
  value: Buffer;
  /** Append time, milliseconds since the epoch. */
  timestamp: number;
}

/** A run of consecutive records of one partition, handed to a consumer's handler. */
export interface LogBatch {
  topic: string;
  partition: number;
  records: LogRecord[];
  /** Offset one past the partition's last record when the batch was read (for lag). */
  highWatermark: number;
}

/** What a consumer reads and from where. */
export interface ConsumeOptions {
  topic: string;
  group: string;
  /** Largest batch handed to the handler. */
  maxBatchSize: number;
  /**
   * Where to start reading a partition the group owns. Called once per partition on assignment;
   * undefined means the group's committed offset in the log (0 if none). Lets a processor keep its
   * offsets beside its own state, in one transaction.
   */
  startAt?: (partition: number) => Promise<number | undefined>;
}

/**
 * Called with each batch, in order per partition; the next batch of that partition is not read
 * until the promise settles. A rejection stops the consumer: the caller decides about restarts.
 */
export type BatchHandler = (batch: LogBatch) => Promise<void>;

/** A running consumer. */
export interface Consumer {
  /** Stops reading; resolves once no handler call is in flight. */
  stop(): Promise<void>;
  /** Resolves when the consumer stops, rejects with the error that stopped it. */
  readonly done: Promise<void>;
}

/**
 * The immutable, partitioned event log. Kept small on purpose: every method is a promise the
 * Kafka adapter must keep too.
 */
export interface EventLog {
  /**
   * Appends messages; resolves only once every one is durable (embedded: LMDB transaction
   * committed and flushed; Kafka: acks=all). Positions are in input order.
   */
  append(topic: string, messages: LogMessage[]): Promise<LogPosition[]>;
  /** Reads up to `limit` records of one partition from `offset` on (replay). */
  read(topic: string, partition: number, offset: number, limit: number): Promise<LogRecord[]>;
  /** Offset one past the last record of each partition, by partition index (so also how many partitions there are). */
  endOffsets(topic: string): Promise<number[]>;
  /** Starts a consumer of a group; each partition is handled by one consumer of the group. */
  consume(options: ConsumeOptions, handler: BatchHandler): Promise<Consumer>;
  /**
   * Records that `group` has processed `partition` up to, not including, `offset`: the group's next consumer without
   * a `startAt` answer for the partition begins there.
   */
  commit(group: string, topic: string, partition: number, offset: number): Promise<void>;
  /** Stops every consumer and releases the log. */
  close(): Promise<void>;
}
