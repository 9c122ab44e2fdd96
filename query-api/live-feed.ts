import type { Logger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import type { Watermark } from "../processors/watermark.ts";
import type { AnomalyView } from "./anomalies-query.ts";
import { encodeCursor, type LiveCursor } from "./live-cursor.ts";
import { queryAnomalyWindow, queryTallies, type PositionedAnomaly, type Tally } from "./live-queries.ts";

/** One frame of the live feed: an anomaly, the day's tally, or a heartbeat that keeps proxies from closing the stream. */
export type LiveFrame =
  | {
      event: "anomaly" /** Set on the last anomaly of a log position only: resuming there skips none. */;
      id?: string;
      data: AnomalyView;
    }
  | { event: "tally"; id: string; data: Tally }
  | { event: "heartbeat" };

/** One client's place in the feed: frames come out of `next` in order. */
export interface LiveSubscription {
  /** Frames queued and not yet taken: a client that reads slowly has more. */
  readonly backlog: number;
  /** The next frame, once there is one; undefined once the subscription has ended. */
  next(): Promise<LiveFrame | undefined>;
  /** Ends the subscription and leaves the feed (idempotent). */
  close(): void;
}

/** The live feed of one app: one poller shared by every connected client. */
export interface LiveFeed {
  /**
   * Joins the feed for an organisation: from `since` (a cursor a previous connection was sent) or from now. Undefined
   * when the organisation already has the most subscribers allowed.
   */
  subscribe(orgId: string, since?: LiveCursor): LiveSubscription | undefined;
  /** How many subscribers an organisation has; the poller queries only for organisations with some. */
  subscriberCount(orgId: string): number;
  /** Ends every subscription and stops the poller. */
  close(): Promise<void>;
}

/** What the live feed reads and how often. */
export interface LiveFeedOptions {
  sql: SqlClient;
  watermark: () => Promise<Watermark>;
  logger: Logger;
  /** How often the watermark is polled, ms. Default 1000. */
  pollIntervalMs?: number;
  /** How often an idle subscriber is sent a heartbeat, ms. Default 15000. */
  heartbeatMs?: number;
  /** Most subscribers of one organisation at a time. Default 50. */
  maxSubscribersPerOrg?: number;
  /** Today's UTC date, YYYY-MM-DD: the day the tally is of. Default from the system clock. */
  today?: () => string;
  /** A subscriber with this many frames unsent is skipped until it catches up (it misses nothing). Default 500. */
  maxBacklog?: number;
  /** Most anomalies read per poll; a longer replay continues at once. Default 1000. */
  anomalyBatch?: number;
}

/** One connected client: its cursor, the last tally it was sent and its unsent frames. */
class Subscriber implements LiveSubscription {
  /** Where its anomalies resume; undefined until its first poll places it at the watermark. */
  cursor: LiveCursor | undefined;
  /** Whether it is owed a tally whether or not the watermark moved (just joined, or skipped while backlogged). */
  owedTally = true;
  /** The JSON of the last tally it was sent: an unchanged tally is not sent again. */
  tallySent: string | undefined;
  private readonly frames: LiveFrame[] = [];
  private waiting: ((frame: LiveFrame | undefined) => void) | undefined;
  private ended = false;

  constructor(
    readonly orgId: string,
    since: LiveCursor | undefined,
    private readonly leave: (subscriber: Subscriber) => void,
  ) {
    this.cursor = since;
  }

  get backlog(): number {
    return this.frames.length;
  }

  push(frame: LiveFrame): void {
    if (this.ended) return;
    if (this.waiting) {
      const deliver = this.waiting;
      this.waiting = undefined;
      deliver(frame);
    } else this.frames.push(frame);
  }

  next(): Promise<LiveFrame | undefined> {
    if (this.frames.length > 0) return Promise.resolve(this.frames.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Ends the subscription; frames not yet taken are dropped. */
  end(): void {
    this.ended = true;
    this.frames.length = 0;
    this.waiting?.(undefined);
    this.waiting = undefined;
  }

  close(): void {
    this.end();
    this.leave(this);
  }
}

const utcToday = () => new Date().toISOString().slice(0, 10);

/**
 * The live feed: one poller per app, not one per connection. It reads the processing watermark every
 * `pollIntervalMs` while anyone is subscribed, and when the watermark has moved (or the day has changed, or someone
 * joined or is catching up) queries the stores for the organisations with subscribers only: anomalies raised by
 * events between each subscriber's cursor and the watermark, and the day's tally. It reads the stores, not events of
 * this process, so it works the same when the processors run elsewhere.
 */
export function createLiveFeed({
  sql,
  watermark,
  logger,
  pollIntervalMs = 1000,
  heartbeatMs = 15_000,
  maxSubscribersPerOrg = 50,
  today = utcToday,
  maxBacklog = 500,
  anomalyBatch = 1000,
}: LiveFeedOptions): LiveFeed {
  const byOrg = new Map<string, Set<Subscriber>>();
  let seen: { processed: number[]; day: string } | undefined;
  let running: Promise<void> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let kicked = false;
  let closed = false;

  const subscribers = () => [...byOrg.values()].flatMap((set) => [...set]);

  function kick(): void {
    kicked = true;
    wake?.();
  }

  function leave(subscriber: Subscriber): void {
    const set = byOrg.get(subscriber.orgId);
    set?.delete(subscriber);
    if (set?.size === 0) byOrg.delete(subscriber.orgId);
  }

  /** Sends each subscriber behind the watermark its anomalies; true when a long replay has more to send at once. */
  async function sendAnomalies(behind: Subscriber[], processed: number[]): Promise<boolean> {
    const orgIds = [...new Set(behind.map((s) => s.orgId))];
    const from = processed.map((_, p) => Math.min(...behind.map((s) => s.cursor![p]!)));
    let rows = await queryAnomalyWindow(sql, { orgIds, from, to: processed, limit: anomalyBatch + 1 });
    // How far the rows cover: the whole window, unless the read was cut short. Then it ends before the last position
    // read, whose anomalies may have been cut off, and the next poll starts there. Rows come in partition order, so
    // every earlier partition was read to the end of the window.
    let reached = processed;
    const last = rows.at(-1);
    if (last !== undefined && rows.length > anomalyBatch) {
      const before = rows.filter((r) => r.partition !== last.partition || r.offset !== last.offset);
      let end = last.offset;
      if (before.length > 0) rows = before;
      else {
        // The first position alone holds more than a batch (an event raises an anomaly or two): it is read whole.
        const at = (offset: number) => processed.map((_, p) => (p === last.partition ? offset : 0));
        rows = await queryAnomalyWindow(sql, { orgIds, from: at(last.offset), to: at(last.offset + 1) });
        end = last.offset + 1;
      }
      reached = processed.map((offset, p) => (p < last.partition ? offset : p === last.partition ? end : from[p]!));
    }
    const rowsOf = new Map<string, PositionedAnomaly[]>();
    for (const row of rows) {
      const list = rowsOf.get(row.orgId) ?? [];
      list.push(row);
      rowsOf.set(row.orgId, list);
    }
    for (const subscriber of behind) {
      const cursor = subscriber.cursor!;
      const mine = (rowsOf.get(subscriber.orgId) ?? []).filter((r) => r.offset >= cursor[r.partition]!);
      mine.forEach((row, i) => {
        subscriber.push(anomalyFrame(row, mine[i + 1], cursor, reached));
      });
      subscriber.cursor = cursor.map((offset, p) => Math.max(offset, reached[p]!));
    }
    return reached !== processed;
  }

  /**
   * The frame of one anomaly. Only the last anomaly of a log position carries an id (the cursor just past it), so a
   * client that resumes from an id is sent the rest of no position twice and misses none; `cursor` moves with the ids.
   */
  function anomalyFrame(
    row: PositionedAnomaly,
    next: PositionedAnomaly | undefined,
    cursor: LiveCursor,
    reached: number[],
  ): LiveFrame {
    if (next !== undefined && next.partition === row.partition && next.offset === row.offset)
      return { event: "anomaly", data: row.view };
    // Rows come in partition order: every earlier partition has been sent up to where the rows reached.
    for (let p = 0; p < row.partition; p++) cursor[p] = Math.max(cursor[p]!, reached[p]!);
    cursor[row.partition] = row.offset + 1;
    return { event: "anomaly", id: encodeCursor(cursor), data: row.view };
  }

  /** Sends each subscriber the day's tally if it differs from the last one it was sent. */
  async function sendTallies(owed: Subscriber[], day: string): Promise<void> {
    const tallies = await queryTallies(sql, [...new Set(owed.map((s) => s.orgId))], day);
    for (const subscriber of owed) {
      const tally = tallies.get(subscriber.orgId) ?? { day, currencies: [] };
      const json = JSON.stringify(tally);
      subscriber.owedTally = false;
      if (json === subscriber.tallySent) continue;
      subscriber.tallySent = json;
      // Its id is the subscriber's cursor: every anomaly up to it has been queued before this frame.
      subscriber.push({ event: "tally", id: encodeCursor(subscriber.cursor!), data: tally });
    }
  }

  /** One poll; true when there is more to send at once. */
  async function poll(): Promise<boolean> {
    const { processed } = await watermark();
    const day = today();
    const moved = seen === undefined || seen.day !== day || seen.processed.some((offset, p) => offset !== processed[p]);
    const all = subscribers();
    for (const s of all) {
      // A new subscriber starts at the watermark; a cursor from before the log had its partitions has them at 0. No id
      // this feed sent is past the watermark, so an offset beyond it is not ours (or the log was rebuilt): it is held at
      // the watermark, or the subscriber would wait for anomalies below it that it would never be sent.
      s.cursor = s.cursor === undefined ? [...processed] : processed.map((end, p) => Math.min(s.cursor![p] ?? 0, end));
    }
    const ready = all.filter((s) => s.backlog < maxBacklog);
    for (const s of all) if (moved && s.backlog >= maxBacklog) s.owedTally = true;
    const behind = ready.filter((s) => s.cursor!.some((offset, p) => offset < processed[p]!));
    const more = behind.length > 0 && (await sendAnomalies(behind, processed));
    const owed = ready.filter((s) => moved || s.owedTally);
    if (owed.length > 0) await sendTallies(owed, day);
    // Only once everything is sent: a poll that failed half-way is taken again as a move.
    seen = { processed, day };
    return more;
  }

  async function run(): Promise<void> {
    while (!closed && byOrg.size > 0) {
      kicked = false;
      let more = false;
      try {
        more = await poll();
      } catch (error) {
        // A store that is down is retried at the next poll; subscribers stay connected and miss nothing meanwhile.
        logger.error({ event: "live.poll_failed", err: error }, "live feed poll failed");
      }
      if (more || kicked || closed) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollIntervalMs);
      });
      wake = undefined;
    }
  }

  function ensureRunning(): void {
    if (running !== undefined || closed) return;
    heartbeat = setInterval(() => {
      // A subscriber with frames queued is about to be written to anyway.
      for (const s of subscribers()) if (s.backlog === 0) s.push({ event: "heartbeat" });
    }, heartbeatMs);
    running = run().finally(() => {
      clearInterval(heartbeat);
      running = undefined;
      // Someone may have joined while the loop was finishing for want of subscribers.
      if (byOrg.size > 0) ensureRunning();
    });
  }

  return {
    subscribe(orgId, since) {
      if (closed) return undefined;
      const set = byOrg.get(orgId) ?? new Set();
      if (set.size >= maxSubscribersPerOrg) return undefined;
      const subscriber = new Subscriber(orgId, since, leave);
      set.add(subscriber);
      byOrg.set(orgId, set);
      ensureRunning();
      kick();
      return subscriber;
    },
    subscriberCount: (orgId) => byOrg.get(orgId)?.size ?? 0,
    async close() {
      closed = true;
      for (const s of subscribers()) s.close();
      wake?.();
      await running;
    },
  };
}
