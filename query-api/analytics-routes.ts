import { ANOMALY_KINDS } from "../processors/step-result.ts";
import { createRoute } from "@hono/zod-openapi";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { createRouter } from "../platform/http/create-router.ts";
import { AUTHENTICATED_ERRORS, errorResponses } from "../platform/http/openapi.ts";
import { soFarValid } from "../platform/http/so-far-valid.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import { CalendarDate } from "../schemas/index.ts";
import { queryAnomalies } from "./anomalies-query.ts";
import { REVENUE_GROUPS, REVENUE_INTERVALS, revenueSelect } from "./revenue-query.ts";
import { ANSWER_MEDIA_TYPES, FormatQuery, negotiateFormat, type SendAnswer } from "./send-answer.ts";

const RevenueParams = z
  .strictObject({
    from: CalendarDate.meta({ description: "First UTC day, inclusive.", example: "2026-01-01" }),
    to: CalendarDate.meta({ description: "Last UTC day, inclusive.", example: "2026-12-31" }),
    interval: z.enum(REVENUE_INTERVALS).default("month").meta({ description: "Bucket size; weeks start on Monday." }),
    groupBy: z.enum(REVENUE_GROUPS).default("none").meta({ description: "Split each bucket by service or region." }),
    ...FormatQuery.shape,
  })
  .refine((p) => p.from <= p.to, { message: "must not be before from", path: ["to"], ...soFarValid });

const AnomalyParams = z.strictObject({
  ...FormatQuery.shape,
  kind: z.enum(ANOMALY_KINDS).optional().meta({ description: "Only anomalies of this kind." }),
  status: z
    .enum(["open", "acknowledged", "resolved"])
    .optional()
    .meta({ description: "Only anomalies in this state." }),
  from: CalendarDate.optional().meta({ description: "First UTC day of occurrence, inclusive.", example: "2026-06-01" }),
  to: CalendarDate.optional().meta({ description: "Last UTC day of occurrence, inclusive.", example: "2026-06-30" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .meta({ description: "Most anomalies returned, newest first." }),
});

const RevenueRowSchema = z.object({
  bucket: z.string().meta({ description: "First day of the bucket, YYYY-MM-DD." }),
  group: z.string().nullable().meta({
    description:
      "The service or region; null when not grouped, not given, or for payments and refunds whose booking does not exist.",
  }),
  currency: z.string().meta({ description: "ISO 4217; amounts are integer minor units of it." }),
  bookings: z.number().int().meta({
    description:
      "Bookings created in the bucket (by the day of their booking.created), cancelled ones included, under their contract currency.",
  }),
  contractValue: z.number().int().meta({
    description:
      "Current contract value of those bookings: the latest by occurrence among the create and the updates that set one (gross booked value; cancelled bookings included).",
  }),
  paymentsReceived: z.number().int().meta({
    description: "Every payment received in the bucket, in its own currency, whether or not its booking exists.",
  }),
  refunds: z.number().int().meta({
    description:
      "Every refund paid in the bucket, in its own currency, whether or not its payment or booking is known.",
  }),
  cancelledBookings: z.number().int().meta({
    description:
      "Bookings cancelled in the bucket: each counts once, on the day of its earliest cancellation by occurrence, under its service, region and contract currency.",
  }),
  releasedContractValue: z.number().int().meta({
    description:
      "Current contract value of those cancelled bookings, in their contract currency (they also stay in bookings and contractValue on the day they were created).",
  }),
  cancellationFees: z.number().int().meta({
    description:
      "Fees of those cancellations, on the same day, in the fee's currency; a cancellation without a fee adds 0.",
  }),
});

const revenueRoute = createRoute({
  method: "get",
  path: "/analytics/revenue",
  tags: ["Analytics"],
  operationId: "getRevenue",
  summary: "Revenue over time",
  description:
    "Bookings (on the day they were created, at their current contract value), cancellations (on the day of each booking's earliest cancellation: how many, the contract value they released, their fees), payments received and refunds per time bucket, group and currency. Every figure depends on the set of events, not the order they arrived in. A row is there when any of its figures is not 0. JSON by default; CSV or NDJSON via Accept or ?format=. Cached under the data watermark; carries a weak ETag, so `If-None-Match` gets a 304 while nothing new was processed.",
  request: { query: RevenueParams },
  responses: {
    200: {
      description: "The answer and how fresh it is.",
      headers: z.object({
        ETag: z.string().meta({ description: "Weak tag of the answer at this data version." }),
        "X-Cache": z.enum(["hit", "miss"]).meta({ description: "Whether the answer came from the answer cache." }),
      }),
      content: {
        "application/json": {
          schema: z.object({ data: z.array(RevenueRowSchema), meta: z.record(z.string(), z.unknown()) }),
          example: {
            data: [
              {
                bucket: "2026-06-01",
                group: "photography",
                currency: "GBP",
                bookings: 12,
                contractValue: 3_240_000,
                paymentsReceived: 1_105_000,
                refunds: 0,
                cancelledBookings: 1,
                releasedContractValue: 260_000,
                cancellationFees: 26_000,
              },
              {
                bucket: "2026-06-01",
                group: "venue",
                currency: "GBP",
                bookings: 3,
                contractValue: 4_500_000,
                paymentsReceived: 900_000,
                refunds: 50_000,
                cancelledBookings: 0,
                releasedContractValue: 0,
                cancellationFees: 0,
              },
            ],
            meta: {
              from: "2026-06-01",
              to: "2026-06-30",
              interval: "month",
              groupBy: "service",
              watermark: { processed: [10, 12], end: [10, 12], lag: 0 },
            },
          },
        },
        "text/csv": {
          schema: z.string(),
          example:
            'bucket,group,currency,bookings,contractValue,paymentsReceived,refunds,cancelledBookings,releasedContractValue,cancellationFees\n"2026-06-01","photography","GBP",12,3240000,1105000,0,1,260000,26000\n',
        },
        "application/x-ndjson": {
          schema: z.string(),
          example:
            '{"bucket":"2026-06-01","group":"photography","currency":"GBP","bookings":12,"contractValue":3240000,"paymentsReceived":1105000,"refunds":0,"cancelledBookings":1,"releasedContractValue":260000,"cancellationFees":26000}\n',
        },
      },
    },
    304: { description: "The answer has not changed since the ETag sent in If-None-Match." },
    ...errorResponses("invalid_request", "not_acceptable", ...AUTHENTICATED_ERRORS),
  },
});

const AnomalySchema = z.object({
  id: z.string(),
  kind: z.string(),
  subject: z
    .string()
    .nullable()
    .meta({ description: "What it is about: a booking, payment or refund id, or an event id." }),
  severity: z.string(),
  score: z.number(),
  status: z.string(),
  eventId: z.string(),
  bookingId: z.string().nullable(),
  weddingId: z.string().nullable(),
  evidence: z.unknown(),
  occurredAt: z.string(),
  detectedAt: z.string(),
});

/** The columns of an anomaly in CSV, in the order of the JSON rows. */
const ANOMALY_COLUMNS = Object.keys(AnomalySchema.shape);

const anomaliesRoute = createRoute({
  method: "get",
  path: "/anomalies",
  tags: ["Analytics"],
  operationId: "listAnomalies",
  summary: "Anomalies flagged by the processors",
  request: { query: AnomalyParams },
  responses: {
    200: {
      description: "The organisation's anomalies, newest first.",
      content: {
        "application/json": {
          schema: z.object({ data: z.array(AnomalySchema), meta: z.record(z.string(), z.unknown()) }),
          example: {
            data: [
              {
                id: "9c1e4f0b2a7d6e35c8b1f0a4d2e6c7b9",
                kind: "overpayment",
                subject: "bk-1042",
                severity: "high",
                score: 0.25,
                status: "open",
                eventId: "6f1c2e9a-3b0d-4c55-9a8e-2b7f1d0c4e11",
                bookingId: "bk-1042",
                weddingId: "wd-311",
                evidence: {
                  contractValue: { amount: 200_000, currency: "GBP" },
                  netPaid: { amount: 250_000, currency: "GBP" },
                  overBy: { amount: 50_000, currency: "GBP" },
                },
                occurredAt: "2026-06-13T14:03:00.000Z",
                detectedAt: "2026-06-13T14:03:01.204Z",
              },
            ],
            meta: { limit: 100 },
          },
        },
        "text/csv": {
          schema: z.string(),
          example:
            'id,kind,subject,severity,score,status,eventId,bookingId,weddingId,evidence,occurredAt,detectedAt\n9c1e4f0b2a7d6e35c8b1f0a4d2e6c7b9,overpayment,bk-1042,high,0.25,open,6f1c2e9a-3b0d-4c55-9a8e-2b7f1d0c4e11,bk-1042,wd-311,"{""contractValue"":{""amount"":200000,""currency"":""GBP""},""netPaid"":{""amount"":250000,""currency"":""GBP""},""overBy"":{""amount"":50000,""currency"":""GBP""}}",2026-06-13T14:03:00.000Z,2026-06-13T14:03:01.204Z\n',
        },
        "application/x-ndjson": {
          schema: z.string(),
          example:
            '{"id":"9c1e4f0b2a7d6e35c8b1f0a4d2e6c7b9","kind":"overpayment","subject":"bk-1042","severity":"high","score":0.25,"status":"open","eventId":"6f1c2e9a-3b0d-4c55-9a8e-2b7f1d0c4e11","bookingId":"bk-1042","weddingId":"wd-311","evidence":{"contractValue":{"amount":200000,"currency":"GBP"},"netPaid":{"amount":250000,"currency":"GBP"},"overBy":{"amount":50000,"currency":"GBP"}},"occurredAt":"2026-06-13T14:03:00.000Z","detectedAt":"2026-06-13T14:03:01.204Z"}\n',
        },
      },
    },
    ...errorResponses("invalid_request", "not_acceptable", ...AUTHENTICATED_ERRORS),
  },
});

/** What the analytics routes read from. */
export interface AnalyticsRouteDeps {
  sql: SqlClient;
  /** Answers ClickHouse questions in the caller's format, cached under the data watermark. */
  sendAnswer: SendAnswer;
}

/**
 * Analytics endpoints under /v1. Every query takes the organisation from the authenticated key,
 * never from the request.
 */
export function createAnalyticsRoutes({ sql, sendAnswer }: AnalyticsRouteDeps) {
  const router = createRouter();
  router.openapi(revenueRoute, async (c) => {
    const { format: _format, ...params } = c.req.valid("query");
    const { query, params: queryParams } = revenueSelect({ orgId: c.var.auth.orgId, ...params });
    // The runner's Response is one of the declared bodies (or a 304), streamed: hono's typed JSON result cannot say so.
    return sendAnswer(c, { name: "revenue", params, query, queryParams }) as never;
  });
  router.openapi(anomaliesRoute, async (c) => {
    const { format: asked, ...params } = c.req.valid("query");
    const format = negotiateFormat(asked, c.req.header("accept"));
    const data = await queryAnomalies(sql, { orgId: c.var.auth.orgId, ...params });
    if (format === "json") return c.json({ data, meta: params }, 200);
    // At most 1,000 rows (the limit's ceiling), so the answer is written whole rather than streamed.
    c.header("Content-Type", ANSWER_MEDIA_TYPES[format]);
    if (format === "ndjson") return c.body(data.map((row) => `${JSON.stringify(row)}\n`).join("")) as never;
    const rows = data.map((row) => ({ ...row, evidence: JSON.stringify(row.evidence) }));
    return c.body(stringify(rows, { header: true, columns: ANOMALY_COLUMNS })) as never;
  });
  return router;
}
