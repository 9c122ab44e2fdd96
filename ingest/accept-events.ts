import { encodeLogEnvelope, parseEvent, partitionKey, type Violation, type WedSyncEvent } from "../schemas/index.ts";
import type { DedupStore } from "../platform/cache/dedup-store.ts";
import { noCrash, type CrashHook } from "../platform/crash-points.ts";
import type { EventLog, LogMessage } from "../platform/event-log/event-log.ts";
import type { BodyItem } from "./parse-body.ts";

/** Why one item of a request was not accepted. */
export interface Rejection {
  /** Position of the item in the request (array index or non-empty NDJSON line). */
  index: number;
  /** The item's `id` when it had a string one, else null. */
  id: string | null;
  errors: Violation[];
}

/** The per-request answer of ingest. */
export interface IngestResult {
  /** Events appended to the log by this request. */
  accepted: number;
  /** Valid events whose id was already accepted (earlier, or earlier in this request). */
  duplicates: number;
  rejected: Rejection[];
}

/** Validates, deduplicates and durably appends one request's events for an organisation. */
export type AcceptEvents = (orgId: string, items: BodyItem[]) => Promise<IngestResult>;

/**
 * The ingest step. The order matters for the guarantees:
 * 1. every item is validated on its own, so one bad event never hurts its neighbours;
 * 2. ids are claimed in the dedup window before appending, so a retry of an event already in the log
 *    is answered as a duplicate; one whose first attempt is still in flight (or died mid-append) is
 *    appended again, never answered as a duplicate of a copy that may not reach the log;
 * 3. claims are confirmed only after the append is durable — a crash before that leaves the id
 *    unclaimed, and a retry is appended (downstream stores are idempotent on the event id);
 * 4. a failed append releases the claims and throws, so the caller answers 5xx and the producer
 *    retries; nothing is acknowledged that is not in the log.
 */
export function createAcceptEvents({
  log,
  topic,
  dedup,
  now = () => new Date(),
  crash = noCrash,
}: {
  log: EventLog;
  /** The topic accepted events are appended to. */
  topic: string;
  dedup: DedupStore;
  now?: () => Date;
  crash?: CrashHook;
}): AcceptEvents {
  return async function acceptEvents(orgId, items) {
    const rejected: Rejection[] = [];
    const valid: WedSyncEvent[] = [];
    items.forEach((item, index) => {
      if (!item.ok) {
        rejected.push({ index, id: null, errors: [{ path: "$", message: item.message }] });
        return;
      }
      const outcome = parseEvent(item.value);
      if (outcome.ok) valid.push(outcome.event);
      else rejected.push({ index, id: idOf(item.value), errors: outcome.errors });
    });
    if (valid.length === 0) return { accepted: 0, duplicates: 0, rejected };

    const keys = valid.map((event) => `${orgId}:${event.id}`);
    const claims = await dedup.claim(keys);
    const receivedAt = now().toISOString();
    const messages: LogMessage[] = [];
    // Keys this request claimed (released if the append fails), and every key it appends (confirmed once durable).
    const claimed: string[] = [];
    const appended: string[] = [];
    valid.forEach((event, i) => {
      if (claims[i] === "duplicate") return;
      // A key in flight elsewhere is appended again rather than answered as a duplicate: that request may still fail,
      // or its process may have died between its claim and its append, and then no copy would reach the log. Two
      // copies of one event id count once downstream.
      if (claims[i] === "granted") claimed.push(keys[i]!);
      appended.push(keys[i]!);
      messages.push({ key: partitionKey(event), value: encodeLogEnvelope({ orgId, receivedAt, event }) });
    });
    if (messages.length > 0) {
      try {
        await log.append(topic, messages);
      } catch (error) {
        await dedup.release(claimed);
        throw error;
      }
      crash("ingest.after-append");
      await dedup.confirm(appended);
    }
    return { accepted: messages.length, duplicates: valid.length - messages.length, rejected };
  };
}

function idOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const id = (value as Record<string, unknown>).id;
  return typeof id === "string" ? id.slice(0, 100) : null;
}
