import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { createRouter } from "../platform/http/create-router.ts";
import { AUTHENTICATED_ERRORS, errorResponses } from "../platform/http/openapi.ts";
import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { budgetVsActualQuery } from "./budget-vs-actual-query.ts";
import { comparedPeriod, periodContaining } from "./comparison-periods.ts";
import { conversionQuery } from "./conversion-query.ts";
import {
  BudgetVsActualParams,
  ConversionParams,
  PaymentsParams,
  PeriodComparisonParams,
  ReceivableBookingsParams,
  ReceivablesParams,
  SeasonalityParams,
  SupplierPerformanceParams,
} from "./named-analytics-params.ts";
import { paymentsQuery } from "./payments-query.ts";
import { periodComparisonQuery } from "./period-comparison-query.ts";
import { receivableBookingsQuery, receivablesQuery } from "./receivables-query.ts";
import { seasonalityQuery } from "./seasonality-query.ts";
import type { SendAnswer } from "./send-answer.ts";
import { supplierPerformanceQuery } from "./supplier-performance-query.ts";

const WATERMARK_EXAMPLE = { processed: [1200, 980], end: [1200, 980], lag: 0 };

/**
 * The responses of a named analytics route: its rows as JSON `{ data, meta }` (or CSV with a header row, or NDJSON),
 * with an example of each, and 304 when the caller's copy is current.
 */
function answers(
  name: string,
  row: z.ZodType,
  example: { data: Record<string, unknown>[]; meta: Record<string, unknown> },
) {
  const columns = Object.keys(example.data[0]!);
  const csv = [columns.join(","), ...example.data.map((r) => columns.map((k) => r[k] ?? "").join(","))].join("\n");
  const body = z
    .object({
      data: z.array(row),
      meta: z
        .looseObject({
          watermark: z
            .looseObject({})
            .meta({ description: "How far processing had got when the answer was computed." }),
        })
        .meta({ description: "The question as understood (defaults filled in) and the watermark." }),
    })
    .meta({ example: { data: example.data, meta: { ...example.meta, watermark: WATERMARK_EXAMPLE } } });
  return {
    200: {
      description: `The ${name} rows, as JSON (or CSV with a header row, or NDJSON, one row a line).`,
      content: {
        "application/json": { schema: body },
        "text/csv": { schema: z.string().meta({ example: `${csv}\n` }) },
        "application/x-ndjson": {
          schema: z.string().meta({ example: `${example.data.map((r) => JSON.stringify(r)).join("\n")}\n` }),
        },
      },
    },
    304: { description: "The answer the caller holds (If-None-Match) is still current." },
    ...errorResponses("invalid_request", "not_acceptable", ...AUTHENTICATED_ERRORS),
  };
}

const money = (description: string) =>
  z
    .number()
    .int()
    .meta({ description: `${description}, in minor units of the row's currency.` });
const count = (description: string) => z.number().int().meta({ description });
const currency = z
  .string()
  .meta({ description: "ISO 4217 currency: amounts in different currencies are never added." });

const paymentsRoute = createRoute({
  method: "get",
  path: "/analytics/payments",
  operationId: "getPayments",
  tags: ["Analytics"],
  summary: "Payments received over time, by method or kind",
  description:
    "Payments received per day, Monday-week or month (UTC), optionally split by payment method or schedule kind, per currency.",
  request: { query: PaymentsParams },
  responses: answers(
    "payments",
    z.object({
      bucket: z.string().meta({ description: "First day of the bucket, YYYY-MM-DD." }),
      group: z
        .string()
        .nullable()
        .meta({ description: "The method or kind; null when not split (or the payment named no kind)." }),
      currency,
      paymentsReceived: money("Payments received"),
    }),
    {
      data: [
        { bucket: "2026-05-01", group: "bank_transfer", currency: "GBP", paymentsReceived: 1_840_000 },
        { bucket: "2026-05-01", group: "card", currency: "GBP", paymentsReceived: 615_000 },
      ],
      meta: { from: "2026-01-01", to: "2026-06-30", interval: "month", groupBy: "method" },
    },
  ),
});

const seasonalityRoute = createRoute({
  method: "get",
  path: "/analytics/seasonality",
  operationId: "getSeasonality",
  tags: ["Analytics"],
  summary: "Bookings by wedding month or weekday",
  description:
    "Bookings whose current wedding date (the latest by occurrence) falls in the range, by month of the year or ISO weekday of that date, per currency: count, cancellations among them, contract value.",
  request: { query: SeasonalityParams },
  responses: answers(
    "seasonality",
    z.object({
      month: z.number().int().optional().meta({ description: "Month of the wedding date, 1–12 (by=month)." }),
      weekday: z
        .number()
        .int()
        .optional()
        .meta({ description: "ISO weekday of the wedding date, 1 = Monday … 7 = Sunday (by=weekday)." }),
      currency,
      bookings: count("Bookings, cancelled ones included."),
      cancellations: count("Of those, the ones cancelled."),
      contractValue: money("Their current contract value (the latest by occurrence)"),
    }),
    {
      data: [
        { weekday: 5, currency: "GBP", bookings: 31, cancellations: 1, contractValue: 9_120_000 },
        { weekday: 6, currency: "GBP", bookings: 118, cancellations: 4, contractValue: 40_375_000 },
      ],
      meta: { from: "2026-01-01", to: "2026-12-31", by: "weekday" },
    },
  ),
});

const budgetVsActualRoute = createRoute({
  method: "get",
  path: "/analytics/budget-vs-actual",
  operationId: "getBudgetVsActual",
  tags: ["Analytics"],
  summary: "Budget against spend per wedding and category",
  description:
    "Per wedding, category and currency: the latest allocation (by when it occurred, then log order), the sum of expenses, what remains and whether it overran. Spend in another currency than the allocation's has a row of its own with no allocation (an overrun). Paged with limit and cursor.",
  request: { query: BudgetVsActualParams },
  responses: answers(
    "budget-vs-actual",
    z.object({
      weddingId: z.string(),
      category: z.string(),
      currency,
      allocated: money("The latest allocation").nullable(),
      spent: money("Expenses recorded"),
      remaining: money("allocated − spent; null without an allocation").nullable(),
      overrun: z.boolean().meta({ description: "True when spent exceeds the allocation (or there is none)." }),
      overrunAmount: money("How much more was spent than allocated; 0 within budget"),
    }),
    {
      data: [
        {
          weddingId: "wed-2026-0613-smith",
          category: "catering",
          currency: "GBP",
          allocated: 900_000,
          spent: 1_020_000,
          remaining: -120_000,
          overrun: true,
          overrunAmount: 120_000,
        },
        {
          weddingId: "wed-2026-0613-smith",
          category: "florist",
          currency: "GBP",
          allocated: 150_000,
          spent: 98_000,
          remaining: 52_000,
          overrun: false,
          overrunAmount: 0,
        },
      ],
      meta: { overrunOnly: false, limit: 100, nextCursor: null },
    },
  ),
});

const receivablesRoute = createRoute({
  method: "get",
  path: "/analytics/receivables",
  operationId: "getReceivables",
  tags: ["Analytics"],
  summary: "Outstanding balances by days left before the wedding",
  description:
    "Current balances (contract value − paid + refunded, when above 0) of active bookings, per ageing bucket and currency. Buckets count days from asOf to the wedding date: overdue (the wedding has passed), 0-30, 31-60, 61-90, over-90.",
  request: { query: ReceivablesParams },
  responses: answers(
    "receivables",
    z.object({
      bucket: z.enum(["overdue", "0-30", "31-60", "61-90", "over-90"]),
      currency,
      bookings: count("Active bookings with a balance."),
      outstanding: money("Sum of their balances"),
    }),
    {
      data: [
        { bucket: "overdue", currency: "GBP", bookings: 3, outstanding: 412_000 },
        { bucket: "0-30", currency: "GBP", bookings: 9, outstanding: 2_310_500 },
      ],
      meta: { asOf: "2026-06-01" },
    },
  ),
});

const receivableBookingsRoute = createRoute({
  method: "get",
  path: "/analytics/receivables/bookings",
  operationId: "getReceivableBookings",
  tags: ["Analytics"],
  summary: "The bookings behind the receivables",
  description:
    "Active bookings with a balance, of one ageing bucket or all, soonest wedding first. Paged with limit and cursor.",
  request: { query: ReceivableBookingsParams },
  responses: answers(
    "receivable bookings",
    z.object({
      bookingId: z.string(),
      weddingId: z.string(),
      supplierId: z.string(),
      service: z.string(),
      weddingDate: z.string().meta({ description: "The current wedding date (the latest by occurrence)." }),
      daysLeft: z
        .number()
        .int()
        .meta({ description: "Days from asOf to the wedding date; negative once it has passed." }),
      bucket: z.enum(["overdue", "0-30", "31-60", "61-90", "over-90"]),
      currency,
      contractValue: money("Contract value"),
      paid: money("Paid"),
      refunded: money("Refunded"),
      outstanding: money("contractValue − paid + refunded"),
    }),
    {
      data: [
        {
          bookingId: "bk-1042",
          weddingId: "wed-2026-0620-jones",
          supplierId: "sup-17",
          service: "photography",
          weddingDate: "2026-06-20",
          daysLeft: 19,
          bucket: "0-30",
          currency: "GBP",
          contractValue: 240_000,
          paid: 60_000,
          refunded: 0,
          outstanding: 180_000,
        },
      ],
      meta: { asOf: "2026-06-01", bucket: "0-30", limit: 100, nextCursor: null },
    },
  ),
});

const supplierPerformanceRoute = createRoute({
  method: "get",
  path: "/analytics/supplier-performance",
  operationId: "getSupplierPerformance",
  tags: ["Analytics"],
  summary: "Bookings, money and anomalies per supplier",
  description:
    "Per supplier and currency over a range of days: bookings created (and their current contract value, and how many were cancelled since), payments received, refunds, and the open anomalies on the supplier's bookings. Payments and refunds whose booking does not exist (yet) are counted too, with a null supplier.",
  request: { query: SupplierPerformanceParams },
  responses: answers(
    "supplier performance",
    z.object({
      supplierId: z
        .string()
        .nullable()
        .meta({ description: "The supplier; null for payments and refunds whose booking does not exist (yet)." }),
      currency,
      bookings: count("Bookings created, cancelled ones included."),
      contractValue: money("Their current contract value (the latest by occurrence)"),
      cancellations: count("Of those bookings, the ones cancelled, whenever the cancellation occurred."),
      paymentsReceived: money("Payments received"),
      refunds: money("Refunds paid"),
      anomalies: count(
        "Anomalies still open on the supplier's bookings whose subject occurred in the range, under the booking's current currency.",
      ),
    }),
    {
      data: [
        {
          supplierId: "sup-17",
          currency: "GBP",
          bookings: 42,
          contractValue: 10_080_000,
          cancellations: 2,
          paymentsReceived: 6_120_000,
          refunds: 45_000,
          anomalies: 1,
        },
      ],
      meta: { from: "2026-01-01", to: "2026-12-31" },
    },
  ),
});

const conversionRoute = createRoute({
  method: "get",
  path: "/analytics/conversion",
  operationId: "getConversion",
  tags: ["Analytics"],
  summary: "Inquiry → booking conversion by channel or service",
  description:
    "Inquiries that arrived in the range, by channel or by the service asked about, and how many converted: an inquiry converts when its wedding has a booking of the same service, whenever that booking was made.",
  request: { query: ConversionParams },
  responses: answers(
    "conversion",
    z.object({
      channel: z.string().optional().meta({ description: "The channel (by=channel)." }),
      service: z.string().optional().meta({ description: "The service asked about (by=service)." }),
      inquiries: count("Inquiries received."),
      converted: count("Of those, the ones converted."),
      rate: z.number().meta({ description: "converted / inquiries." }),
    }),
    {
      data: [
        { channel: "referral", inquiries: 80, converted: 41, rate: 0.5125 },
        { channel: "website", inquiries: 150, converted: 39, rate: 0.26 },
      ],
      meta: { from: "2026-01-01", to: "2026-12-31", by: "channel" },
    },
  ),
});

const periodComparisonRoute = createRoute({
  method: "get",
  path: "/analytics/period-comparison",
  operationId: "getPeriodComparison",
  tags: ["Analytics"],
  summary: "A metric this period against the previous one or last year's",
  description:
    "The metric over the period (month, quarter, meteorological season or year) containing the anchor day, against the period before it or the same period a year earlier, per currency (inquiries have none: null). meta names both periods.",
  request: { query: PeriodComparisonParams },
  responses: answers(
    "period comparison",
    z.object({
      currency: z.string().nullable().meta({ description: "ISO 4217 currency; null for inquiries." }),
      current: z.number().int().meta({ description: "The metric in the current period (money in minor units)." }),
      previous: z.number().int().meta({ description: "The metric in the period compared with." }),
      change: z.number().int().meta({ description: "current − previous." }),
      relativeChange: z.number().nullable().meta({ description: "change / previous; null when previous is 0." }),
    }),
    {
      data: [
        {
          currency: "GBP",
          current: 5_210_000,
          previous: 4_630_000,
          change: 580_000,
          relativeChange: 0.12526997840172785,
        },
      ],
      meta: {
        metric: "netRevenue",
        period: "quarter",
        compareTo: "lastYear",
        anchor: "2026-06-13",
        current: { from: "2026-04-01", to: "2026-06-30" },
        previous: { from: "2025-04-01", to: "2025-06-30" },
      },
    },
  ),
});

/**
 * Today's UTC date, YYYY-MM-DD: the day receivables are aged from and periods anchored on when the caller names none.
 * Filled in here rather than as a schema default, which the OpenAPI document would freeze at the day it was built.
 */
const todayUtc = () => new Date().toISOString().slice(0, 10);

/** Splits the answer-format parameter (read by the runner) off the question's parameters. */
function question<T extends { format?: string }>(params: T): Omit<T, "format"> {
  const { format: _format, ...rest } = params;
  return rest;
}

/**
 * The named analytics endpoints under /v1/analytics: what suppliers ask most, each one question to ClickHouse answered
 * through the shared runner (JSON/CSV/NDJSON, watermark, cache, ETag). Aggregations are engine requests (the same
 * rules as POST /analytics/query); budget against spend and receivables are state per wedding and booking, written as
 * their own SQL over `events`. The organisation comes from the API key only.
 */
export function createNamedAnalyticsRoutes({ sendAnswer }: { sendAnswer: SendAnswer }) {
  /** Answers one unpaged question. */
  const answer = (c: Parameters<SendAnswer>[0], name: string, params: Record<string, unknown>, bound: BoundQuery) =>
    sendAnswer(c, { name, params, query: bound.query, queryParams: bound.params }) as never;
  /** Answers one page of a question: `limit` rows from where the cursor points. */
  const answerPage = <P extends { limit: number; cursor?: string }>(
    c: Parameters<SendAnswer>[0],
    name: string,
    params: P,
    bound: BoundQuery,
  ) => {
    const { cursor, ...asked } = params;
    return sendAnswer(c, {
      name,
      params: asked,
      query: bound.query,
      queryParams: bound.params,
      page: { limit: params.limit, cursor },
    }) as never;
  };

  return createRouter()
    .openapi(paymentsRoute, (c) => {
      const q = question(c.req.valid("query"));
      return answer(c, "payments", q, paymentsQuery(c.var.auth.orgId, q));
    })
    .openapi(seasonalityRoute, (c) => {
      const q = question(c.req.valid("query"));
      return answer(c, "seasonality", q, seasonalityQuery(c.var.auth.orgId, q));
    })
    .openapi(budgetVsActualRoute, (c) => {
      const q = question(c.req.valid("query"));
      return answerPage(c, "budget-vs-actual", q, budgetVsActualQuery(c.var.auth.orgId, q));
    })
    .openapi(receivablesRoute, (c) => {
      const q = { ...question(c.req.valid("query")), asOf: c.req.valid("query").asOf ?? todayUtc() };
      return answer(c, "receivables", q, receivablesQuery(c.var.auth.orgId, q));
    })
    .openapi(receivableBookingsRoute, (c) => {
      const q = { ...question(c.req.valid("query")), asOf: c.req.valid("query").asOf ?? todayUtc() };
      return answerPage(c, "receivable-bookings", q, receivableBookingsQuery(c.var.auth.orgId, q));
    })
    .openapi(supplierPerformanceRoute, (c) => {
      const q = question(c.req.valid("query"));
      return answer(c, "supplier-performance", q, supplierPerformanceQuery(c.var.auth.orgId, q));
    })
    .openapi(conversionRoute, (c) => {
      const q = question(c.req.valid("query"));
      return answer(c, "conversion", q, conversionQuery(c.var.auth.orgId, q));
    })
    .openapi(periodComparisonRoute, (c) => {
      const q = { ...question(c.req.valid("query")), anchor: c.req.valid("query").anchor ?? todayUtc() };
      const current = periodContaining(q.period, q.anchor);
      const previous = comparedPeriod(q.period, current, q.compareTo);
      return answer(
        c,
        "period-comparison",
        { ...q, current, previous },
        periodComparisonQuery(c.var.auth.orgId, { metric: q.metric, current, previous }),
      );
    });
}
