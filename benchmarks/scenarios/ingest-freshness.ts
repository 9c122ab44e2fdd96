/** One acknowledged request: when its 202 arrived and how many events had been accepted by then, this one included. */
export interface IngestAck {
  atMs: number;
  cumulativeAccepted: number;
}

/** One read of the processing watermark: when its answer arrived, with Σ processed and Σ end over the partitions. */
export interface WatermarkPoll {
  atMs: number;
  processed: number;
  end: number;
}

/**
 * Freshness of each acknowledged request, in ms: the time from its 202 to the first watermark poll
 * whose Σ processed reached the cumulative count of events accepted up to that 202. All events come
 * from one organisation into a log that only grows, so once Σ processed covers that count, that many
 * events are in ClickHouse. It is exact when the partitions are processed evenly, and it is an upper
 * bound by up to one poll interval plus one poll's latency. Acks never seen visible are left out.
 */
export function freshnessMs(acks: readonly IngestAck[], polls: readonly WatermarkPoll[], baseline = 0): number[] {
  const sortedAcks = [...acks].sort((a, b) => a.atMs - b.atMs);
  const sortedPolls = [...polls].sort((a, b) => a.atMs - b.atMs);
  const result: number[] = [];
  let p = 0;
  for (const ack of sortedAcks) {
    // Both lists are in time order and the needed count only grows, so the poll cursor never moves back.
    while (
      p < sortedPolls.length &&
      (sortedPolls[p]!.atMs < ack.atMs || sortedPolls[p]!.processed - baseline < ack.cumulativeAccepted)
    ) {
      p++;
    }
    if (p === sortedPolls.length) break;
    result.push(sortedPolls[p]!.atMs - ack.atMs);
  }
  return result;
}
