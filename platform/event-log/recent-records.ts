import type { LogRecord } from "./event-log.ts";

/** Bytes a cached record is counted as beyond its key and value: the record object and its place in the run. */
const RECORD_OVERHEAD_BYTES = 128;

/** One partition's cached records: consecutive offsets from `records[head].offset` on. */
interface Run {
  records: LogRecord[];
  /** Index of the first record still held; the ones before it were let go. */
  head: number;
  bytes: number;
}

/**
 * The records this process appended last, per partition, held in memory so that a consumer keeping up with the log
 * reads them from here instead of from the log's memory map. Reading through the map makes every page of the log
 * resident in the process, so its memory would grow with the log; and copying a record out of LMDB costs more than
 * handing over the one already in memory.
 *
 * Each partition holds one run of consecutive offsets, up to `maxBytesPerPartition` (the oldest let go first). A record
 * is added only once its append is durable, and a record never changes once at its offset, so what is served from here
 * is exactly what the log holds there. When an append does not continue the run (another process appended to the same
 * path in between), the run starts again at it. A read whose offset is outside the run is not answered here (the
 * caller reads the log); one inside it is answered with the run's records from that offset, never more than `limit`.
 */
export function createRecentRecords(maxBytesPerPartition: number) {
  const runs = new Map<string, Run>();
  const id = (topic: string, partition: number) => `${partition}\u0000${topic}`;
  const sizeOf = (record: LogRecord) => record.value.length + record.key.length + RECORD_OVERHEAD_BYTES;

  return {
    /** Adds durably appended records of one partition, in offset order, consecutive. */
    add(topic: string, partition: number, added: LogRecord[]): void {
      if (added.length === 0) return;
      const key = id(topic, partition);
      let run = runs.get(key);
      const end = run === undefined ? undefined : run.records[run.records.length - 1]!.offset + 1;
      if (run === undefined || end !== added[0]!.offset) {
        run = { records: [], head: 0, bytes: 0 };
        runs.set(key, run);
      }
      for (const record of added) {
        run.records.push(record);
        run.bytes += sizeOf(record);
      }
      while (run.bytes > maxBytesPerPartition && run.head < run.records.length) {
        run.bytes -= sizeOf(run.records[run.head]!);
        run.head += 1;
      }
      // Let go of the dropped records' slots once they are half the array, so the array stays proportional to the run.
      if (run.head > run.records.length / 2) {
        run.records = run.records.slice(run.head);
        run.head = 0;
      }
      if (run.head === run.records.length) runs.delete(key);
    },

    /** The run's records from `offset` on, at most `limit`; undefined when the run does not hold `offset`. */
    read(topic: string, partition: number, offset: number, limit: number): LogRecord[] | undefined {
      const run = runs.get(id(topic, partition));
      if (run === undefined || limit <= 0) return undefined;
      const first = run.records[run.head]!.offset;
      const index = run.head + (offset - first);
      if (offset < first || index >= run.records.length) return undefined;
      return run.records.slice(index, index + limit);
    },

    /** Bytes held, counted as `add` counts them. */
    bytes(): number {
      let total = 0;
      for (const run of runs.values()) total += run.bytes;
      return total;
    },
  };
}
