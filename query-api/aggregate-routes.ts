import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { createRouter } from "../platform/http/create-router.ts";
import { AUTHENTICATED_ERRORS, errorResponses } from "../platform/http/openapi.ts";
import { AGGREGATE_EXAMPLE, AggregateRequest, checkAggregateRequest } from "./aggregation/aggregate-request.ts";
import { buildAggregateQuery } from "./aggregation/build-aggregate-query.ts";
import { FormatQuery, type SendAnswer } from "./send-answer.ts";

const AggregateResponse = z
  .object({
    data: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))).meta({
      description:
        "One row per bucket × group: `bucket` (first day, when an interval was asked), each grouped dimension (null when not given), then each metric. Money is in minor units of the row's currency.",
    }),
    meta: z
      .object({
        watermark: z
          .object({})
          .passthrough()
          .meta({ description: "How far processing had got when the answer was computed." }),
        nextCursor: z.string().nullable().meta({
          description:
            "Send as `cursor` with the same question for the next page, before new events are processed; null on the last.",
        }),
      })
      .passthrough()
      .meta({
        description:
          "The normalised question (currency added to groupBy for money), the watermark and the next page's cursor.",
      }),
  })
  .meta({
    example: {
      data: [
        {
          bucket: "2026-05-01",
          service: "photography",
          currency: "GBP",
          bookings: 12,
          contractValue: 3_540_000,
          paymentsReceived: 1_250_000,
        },
        {
          bucket: "2026-05-01",
          service: "venue",
          currency: "GBP",
          bookings: 4,
          contractValue: 5_200_000,
          paymentsReceived: 2_600_000,
        },
      ],
      meta: {
        ...AGGREGATE_EXAMPLE,
        groupBy: [...AGGREGATE_EXAMPLE.groupBy, "currency"],
        watermark: { processed: [1200, 980], end: [1200, 980], lag: 0 },
        nextCursor: "WzEwMCwiWm05eUxXVjRZVzF3YkdVeCIsIlpYaGhiWEJzWlMxa1lYUmgiXQ",
      },
    },
  });

const aggregateRoute = createRoute({
  method: "post",
  path: "/analytics/query",
  operationId: "queryAnalytics",
  tags: ["Analytics"],
  summary: "Aggregate metrics by dimensions over a date range",
  description:
    "The safe aggregation every analytics answer is built on: whitelisted metrics grouped by whitelisted dimensions, filtered, sorted and paged. JSON by default; CSV or NDJSON via Accept or ?format=.",
  request: {
    query: FormatQuery,
    body: { content: { "application/json": { schema: AggregateRequest } }, required: true },
  },
  responses: {
    200: {
      description: "The rows of the page, as JSON (or CSV with a header row, or NDJSON, one row a line).",
      content: {
        "application/json": { schema: AggregateResponse },
        "text/csv": {
          schema: z.string().meta({ example: "bucket,service,currency,bookings\n2026-05-01,photography,GBP,12\n" }),
        },
        "application/x-ndjson": {
          schema: z
            .string()
            .meta({ example: '{"bucket":"2026-05-01","service":"photography","currency":"GBP","bookings":12}\n' }),
        },
      },
    },
    304: { description: "The answer the caller holds (If-None-Match) is still current." },
    ...errorResponses("invalid_request", "not_acceptable", ...AUTHENTICATED_ERRORS),
  },
});

/**
 * POST /analytics/query: checks the request against the whitelists, builds its ClickHouse SELECT for the caller's
 * organisation (from the API key, never the request) and answers it through the shared runner.
 */
export function createAggregateRoutes({ sendAnswer }: { sendAnswer: SendAnswer }) {
  return createRouter().openapi(aggregateRoute, async (c) => {
    const request = c.req.valid("json");
    const question = checkAggregateRequest(request);
    const { query, params } = buildAggregateQuery(c.var.auth.orgId, question);
    // The runner's Response is one of the declared bodies (or a 304), streamed: hono's typed JSON result cannot say so.
    return sendAnswer(c, {
      name: "aggregate",
      params: { ...question },
      query,
      queryParams: params,
      page: { limit: question.limit, cursor: request.cursor },
    }) as never;
  });
}
