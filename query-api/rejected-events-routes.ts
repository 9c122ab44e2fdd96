import { createRoute } from "@hono/zod-openapi";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import type { EventLog } from "../platform/event-log/event-log.ts";
import { createRouter } from "../platform/http/create-router.ts";
import { AUTHENTICATED_ERRORS, errorResponses } from "../platform/http/openapi.ts";
import { soFarValid } from "../platform/http/so-far-valid.ts";
import type { Logger } from "../platform/logger.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { REASON_CODE_PATTERN } from "../processors/dead-letter-filter.ts";
import { DEAD_LETTER_ID_PATTERN } from "../processors/persist-dead-letters.ts";
import { redriveDeadLetters } from "../processors/redrive-dead-letters.ts";
import type { Watermark } from "../processors/watermark.ts";
import { CalendarDate, Text } from "../schemas/index.ts";
import { pageCursor, pageOffset } from "./page-cursor.ts";
import { DEAD_LETTER_STATUSES, queryRejectedEvents } from "./rejected-events-query.ts";
import { ANSWER_MEDIA_TYPES, FormatQuery, negotiateFormat } from "./send-answer.ts";

const DEAD_LETTER_ID_EXAMPLE = "dl_3f9a1c0b7d2e4f5a6b8c9d0e";
const OTHER_ID_EXAMPLE = "dl_8e2d4c6a0b1f3e5d7c9b2a4f";

/** The filters a listing and a redrive by filter share. */
const filterShape = {
  reason: z.string().regex(REASON_CODE_PATTERN, "must be a reason code such as schema_invalid").optional().meta({
    description: "Only dead letters refused for this reason (one of their reasons).",
    example: "schema_invalid",
  }),
  type: Text.optional().meta({
    description: "Only events of this type, as read from the payload.",
    example: "payment.received",
  }),
  from: CalendarDate.optional().meta({
    description: "First UTC day the event was received, inclusive.",
    example: "2026-06-01",
  }),
  to: CalendarDate.optional().meta({
    description: "Last UTC day the event was received, inclusive.",
    example: "2026-06-30",
  }),
};

/** `to` not before `from`, said only when both are valid dates. */
const datesInOrder = (p: { from?: string; to?: string }) =>
  p.from === undefined || p.to === undefined || p.from <= p.to;
const DATES_OUT_OF_ORDER = { message: "must not be before from", path: ["to"], ...soFarValid };

const RejectedEventsParams = z
  .strictObject({
    ...filterShape,
    status: z
      .enum(DEAD_LETTER_STATUSES)
      .optional()
      .meta({ description: "pending: not re-driven yet; redriven: sent through processing again." }),
    limit: z.coerce
      .number()
      .int("must be an integer")
      .min(1, "must be at least 1")
      .max(1000, "must be at most 1000")
      .default(100)
      .meta({ description: "Dead letters per page, 1–1000.", example: 100 }),
    cursor: z.string().max(200, "must be at most 200 characters").optional().meta({
      description: "meta.nextCursor (or the X-Next-Cursor header) of the previous page of the same question.",
    }),
    ...FormatQuery.shape,
  })
  .refine(datesInOrder, DATES_OUT_OF_ORDER);

const RejectedEventSchema = z.object({
  id: z.string().meta({ description: "Stable and opaque; what a redrive by ids takes." }),
  eventId: z.string().nullable().meta({ description: "The event's id as read from the payload; null if it has none." }),
  type: z.string().nullable().meta({ description: "The event's type as read from the payload; null if it has none." }),
  reasons: z.array(z.string()).meta({
    description: "Every reason it was refused: undecodable, schema_invalid, store_refused, business_id_conflict, …",
  }),
  message: z.string().meta({ description: "What was wrong, in the words of the check or the store that refused it." }),
  payload: z.unknown().meta({ description: "The event as sent: its JSON value, or its text when it is not JSON." }),
  receivedAt: z.string().meta({ description: "When ingest received the event." }),
  deadLetteredAt: z.string().meta({ description: "When the processors refused it." }),
  redrivenAt: z.string().nullable().meta({ description: "When it was re-driven; null while pending." }),
  redriveOf: z
    .string()
    .nullable()
    .meta({ description: "The dead letter whose redrive was refused again as this one; null for a first refusal." }),
});

/** The columns of a dead letter in CSV, in the order of the JSON rows. */
const REJECTED_EVENT_COLUMNS = Object.keys(RejectedEventSchema.shape);

const ITEM_EXAMPLE = {
  id: DEAD_LETTER_ID_EXAMPLE,
  eventId: "6f1c2e9a-3b0d-4c55-9a8e-2b7f1d0c4e11",
  type: "payment.received",
  reasons: ["schema_invalid"],
  message: "$.data.amount.currency: must be a three-letter upper-case ISO 4217 code",
  payload: {
    id: "6f1c2e9a-3b0d-4c55-9a8e-2b7f1d0c4e11",
    type: "payment.received",
    occurredAt: "2026-06-13T14:03:00Z",
    source: "wedsync-payments",
    data: {
      paymentId: "pay-1042-1",
      bookingId: "bk-1042",
      weddingId: "wd-311",
      amount: { amount: 50_000, currency: "gbp" },
      method: "card",
    },
  },
  receivedAt: "2026-06-13T14:03:01.112Z",
  deadLetteredAt: "2026-06-13T14:03:01.530Z",
  redrivenAt: null,
  redriveOf: null,
};

const listRoute = createRoute({
  method: "get",
  path: "/rejected-events",
  tags: ["Dead letters"],
  operationId: "listRejectedEvents",
  summary: "Events the processors refused (dead letters)",
  description:
    "The organisation's dead letters, newest received first, with the original payload and every reason. JSON by default; CSV or NDJSON via Accept or ?format=. Paged with limit and cursor: JSON says meta.nextCursor (null on the last page), CSV and NDJSON send X-Next-Cursor while another page follows.",
  request: { query: RejectedEventsParams },
  responses: {
    200: {
      description: "One page of dead letters.",
      headers: z.object({
        "X-Next-Cursor": z
          .string()
          .optional()
          .meta({ description: "CSV and NDJSON: the cursor of the next page, sent while there is one." }),
      }),
      content: {
        "application/json": {
          schema: z.object({ data: z.array(RejectedEventSchema), meta: z.record(z.string(), z.unknown()) }),
          example: {
            data: [ITEM_EXAMPLE],
            meta: {
              reason: "schema_invalid",
              limit: 100,
              watermark: { processed: [10, 12], end: [10, 12], lag: 0 },
              nextCursor: null,
            },
          },
        },
        "text/csv": {
          schema: z.string(),
          example: `${REJECTED_EVENT_COLUMNS.join(",")}\n${DEAD_LETTER_ID_EXAMPLE},6f1c2e9a-3b0d-4c55-9a8e-2b7f1d0c4e11,payment.received,"[""schema_invalid""]",$.data.amount.currency: must be a three-letter upper-case ISO 4217 code,"{""id"":""6f1c2e9a-3b0d-4c55-9a8e-2b7f1d0c4e11"",…}",2026-06-13T14:03:01.112Z,2026-06-13T14:03:01.530Z,,\n`,
        },
        "application/x-ndjson": { schema: z.string(), example: `${JSON.stringify(ITEM_EXAMPLE)}\n` },
      },
    },
    ...errorResponses("invalid_request", "not_acceptable", ...AUTHENTICATED_ERRORS),
  },
});

const DeadLetterId = z
  .string()
  .regex(DEAD_LETTER_ID_PATTERN, "is not a dead letter id (dl_ and 24 hex digits, as GET /v1/rejected-events gives)");

const RedriveBody = z
  .strictObject({
    ids: z
      .array(DeadLetterId)
      .min(1, "must name at least one dead letter")
      .max(1000, "must name at most 1000 dead letters")
      .optional()
      .meta({ description: "The dead letters to redrive, by id." }),
    filter: z
      .strictObject(filterShape)
      .refine(datesInOrder, DATES_OUT_OF_ORDER)
      .optional()
      .meta({
        description: "Every pending dead letter matching all of these; `{}` means every pending one.",
        example: { reason: "schema_invalid", type: "payment.received", from: "2026-06-01", to: "2026-06-30" },
      }),
  })
  .refine((body) => (body.ids === undefined) !== (body.filter === undefined), {
    message: "give exactly one of ids and filter",
    ...soFarValid,
  });

const RedriveResultSchema = z.object({
  redriven: z.number().int().meta({ description: "Dead letters appended to the log again by this request." }),
  alreadyRedriven: z
    .number()
    .int()
    .meta({ description: "Dead letters chosen that an earlier redrive had already sent again; left as they were." }),
  notFound: z
    .array(z.string())
    .meta({ description: "Ids that name no dead letter of the organisation (empty for a filter)." }),
});

const redriveRoute = createRoute({
  method: "post",
  path: "/rejected-events/redrive",
  tags: ["Dead letters"],
  operationId: "redriveRejectedEvents",
  summary: "Send dead letters through processing again",
  description:
    "Appends the original record of each chosen pending dead letter to the event log again, once, and marks it re-driven, in one transaction: the answer comes once the records are durable. A second redrive of the same ones changes nothing (they count as alreadyRedriven). A re-driven event refused again becomes a new dead letter whose redriveOf names this one. Needs the ingest scope: it writes to the log.",
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: RedriveBody,
          example: { ids: [DEAD_LETTER_ID_EXAMPLE, OTHER_ID_EXAMPLE] },
        },
      },
    },
  },
  responses: {
    202: {
      description: "The chosen dead letters are durably in the log again; processing picks them up.",
      content: {
        "application/json": {
          schema: RedriveResultSchema,
          example: { redriven: 1, alreadyRedriven: 0, notFound: [OTHER_ID_EXAMPLE] },
        },
      },
    },
    ...errorResponses("invalid_request", "log_unavailable", ...AUTHENTICATED_ERRORS),
  },
});

/**
 * GET /rejected-events (scope read): the organisation's dead letters from Postgres, where their lifecycle is kept,
 * paged with the project's cursor, in JSON, CSV or NDJSON. The organisation comes from the API key only.
 */
export function createRejectedEventsRoutes({
  sql,
  watermark,
}: {
  sql: SqlClient;
  watermark: () => Promise<Watermark>;
}) {
  return createRouter().openapi(listRoute, async (c) => {
    const { format: asked, cursor, ...question } = c.req.valid("query");
    const format = negotiateFormat(asked, c.req.header("accept"));
    const offset = pageOffset("rejected-events", question, cursor);
    // Read first, as every answer does: the page then holds at least what processing had done by it, so a client that
    // re-drove something knows, once lag is 0, that the page shows what became of it.
    const mark = await watermark();
    const { rows, more } = await queryRejectedEvents(sql, { orgId: c.var.auth.orgId, ...question, offset });
    const nextCursor = more ? pageCursor("rejected-events", question, offset + question.limit) : null;
    // Lifecycle state, changed by every redrive: never served from a cache.
    c.header("Cache-Control", "private, no-cache");
    if (format === "json") return c.json({ data: rows, meta: { ...question, watermark: mark, nextCursor } }, 200);
    // At most 1,000 rows (the limit's ceiling), so the page is written whole rather than streamed.
    c.header("Content-Type", ANSWER_MEDIA_TYPES[format]);
    if (nextCursor !== null) c.header("X-Next-Cursor", nextCursor);
    if (format === "ndjson") return c.body(rows.map((row) => `${JSON.stringify(row)}\n`).join("")) as never;
    // The lists and the payload as JSON text in their cells (a payload that was text is a JSON string there).
    const flat = rows.map((row) => ({
      ...row,
      reasons: JSON.stringify(row.reasons),
      payload: JSON.stringify(row.payload),
    }));
    return c.body(stringify(flat, { header: true, columns: REJECTED_EVENT_COLUMNS })) as never;
  });
}

/**
 * POST /rejected-events/redrive (scope ingest: it writes to the log): the organisation's dead letters, by ids or by a
 * filter, sent through processing again by redriveDeadLetters, the function the CLI's `redrive` runs too.
 */
export function createRedriveRoutes({ sql, log, logger }: { sql: SqlClient; log: EventLog; logger?: Logger }) {
  return createRouter().openapi(redriveRoute, async (c) => {
    const body = c.req.valid("json");
    const orgId = c.var.auth.orgId;
    const selection = body.ids !== undefined ? { orgId, ids: body.ids } : { orgId, filter: body.filter ?? {} };
    return c.json(await redriveDeadLetters({ sql, log, logger }, selection), 202);
  });
}
