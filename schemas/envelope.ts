import { z } from "zod";
import { EVENT_DATA_SCHEMAS, EVENT_TYPES, type EventData, type EventType } from "./events.ts";
import { Id, Instant } from "./primitives.ts";

/** The envelope schema versions this build understands. */
export const SCHEMA_VERSIONS = [1] as const;

const envelopeFields = {
  // UUIDs compare without regard to case (RFC 9562), as ClickHouse's UUID and Postgres's uuid columns do: an id is
  // taken in lower case, so a producer's resend in the other case is the same event to the dedup window too.
  id: z.uuid({ message: "must be a UUID" }).toLowerCase(),
  occurredAt: Instant,
  source: Id,
  version: z
    .literal(SCHEMA_VERSIONS, { message: `unknown schema version; supported: ${SCHEMA_VERSIONS.join(", ")}` })
    .optional(),
};

/** One envelope variant per type, so each event's data is checked against its own schema. */
const variants = EVENT_TYPES.map((type) =>
  z.strictObject({ ...envelopeFields, type: z.literal(type), data: EVENT_DATA_SCHEMAS[type] }),
);

/** A v1 event as producers send it: envelope plus typed data. */
export const Event = z.discriminatedUnion(
  "type",
  variants as unknown as [(typeof variants)[number], ...(typeof variants)[number][]],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? `unknown event type; supported: ${EVENT_TYPES.join(", ")}` : undefined,
  },
);

/** A validated event of type T. */
export type EventOf<T extends EventType> = {
  id: string;
  type: T;
  occurredAt: string;
  source: string;
  version?: 1;
  data: EventData<T>;
};

/** A validated v1 event of any type. */
export type WedSyncEvent = { [T in EventType]: EventOf<T> }[EventType];

/** One violation found in an event: where it is and what is wrong. */
export interface Violation {
  path: string;
  message: string;
}

/** The outcome of checking one untrusted value against the contract. */
export type ParseOutcome = { ok: true; event: WedSyncEvent } | { ok: false; errors: Violation[] };

/** Checks an untrusted value against the v1 contract and names every violation with its path. */
export function parseEvent(value: unknown): ParseOutcome {
  const result = Event.safeParse(value);
  if (result.success) return { ok: true, event: result.data as WedSyncEvent };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({
      path: issue.path.length === 0 ? "$" : `$.${issue.path.map(String).join(".")}`,
      message: issue.message,
    })),
  };
}

/** The key an event is partitioned by: its wedding, or for an inquiry without one, the inquiry. */
export function partitionKey(event: WedSyncEvent): string {
  if (event.type === "inquiry.received") return event.data.weddingId ?? `inquiry:${event.data.inquiryId}`;
  return event.data.weddingId;
}
