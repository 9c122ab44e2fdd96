import { z } from "zod";
import { soFarValid } from "../platform/http/so-far-valid.ts";
import { CalendarDate, Id } from "../schemas/index.ts";
import { COMPARE_TO, PERIODS } from "./comparison-periods.ts";
import { COMPARISON_METRICS } from "./period-comparison-query.ts";
import { RECEIVABLE_BUCKETS } from "./receivables-query.ts";
import { FormatQuery } from "./send-answer.ts";

// Every route takes ?format= (json, csv, ndjson), read by the answer runner.
const format = FormatQuery.shape.format;

const date = (description: string, example: string) => CalendarDate.meta({ description, example });

/** An inclusive range of UTC calendar dates; `to` must not be before `from` (said only when both are dates). */
function dateRange<T extends z.ZodRawShape>(of: string, example: { from: string; to: string }, shape: T) {
  return z
    .strictObject({
      from: date(`First day of ${of}, YYYY-MM-DD (UTC), inclusive.`, example.from),
      to: date(`Last day of ${of}, YYYY-MM-DD (UTC), inclusive.`, example.to),
      ...shape,
      format,
    })
    .refine((p) => (p as { from: string }).from <= (p as { to: string }).to, {
      message: "must not be before from",
      path: ["to"],
      ...soFarValid,
    });
}

const limit = z.coerce
  .number()
  .int("must be an integer")
  .min(1, "must be at least 1")
  .max(1000, "must be at most 1000")
  .default(100)
  .meta({ description: "Rows per page, 1–1000.", example: 100 });
const cursor = z.string().max(200, "must be at most 200 characters").optional().meta({
  description:
    "meta.nextCursor (or the X-Next-Cursor header) of the previous page of the same question. Refused (400) once new events have been processed since the first page: start again from it.",
});

/** GET /v1/analytics/payments */
export const PaymentsParams = dateRange(
  "the days payments were received",
  { from: "2026-01-01", to: "2026-06-30" },
  {
    interval: z
      .enum(["day", "week", "month"])
      .default("month")
      .meta({ description: "Bucket size; weeks start on Monday.", example: "month" }),
    groupBy: z
      .enum(["none", "method", "kind"])
      .default("none")
      .meta({ description: "Split by payment method or schedule kind.", example: "method" }),
  },
);

/** GET /v1/analytics/seasonality */
export const SeasonalityParams = dateRange(
  "the wedding dates",
  { from: "2026-01-01", to: "2026-12-31" },
  {
    by: z.enum(["month", "weekday"]).default("month").meta({
      description: "Month of the year (1–12) or ISO weekday (1 = Monday … 7 = Sunday) of the wedding date.",
      example: "month",
    }),
  },
);

/** GET /v1/analytics/budget-vs-actual */
export const BudgetVsActualParams = z.strictObject({
  weddingId: Id.optional().meta({ description: "Only this wedding.", example: "wed-2026-0613-smith" }),
  overrunOnly: z
    .stringbool()
    .default(false)
    .meta({ description: "Only rows that spent more than allocated.", example: "true" }),
  limit,
  cursor,
  format,
});

/** GET /v1/analytics/receivables */
export const ReceivablesParams = z.strictObject({
  asOf: date("The day days left are counted from, YYYY-MM-DD; default today (UTC).", "2026-06-01").optional(),
  format,
});

/** GET /v1/analytics/receivables/bookings */
export const ReceivableBookingsParams = z.strictObject({
  asOf: ReceivablesParams.shape.asOf,
  bucket: z
    .enum(RECEIVABLE_BUCKETS)
    .optional()
    .meta({ description: "Only this ageing bucket; default every bucket.", example: "0-30" }),
  limit,
  cursor,
  format,
});

/** GET /v1/analytics/supplier-performance */
export const SupplierPerformanceParams = dateRange(
  "the days bookings were created, payments received and refunds paid",
  { from: "2026-01-01", to: "2026-12-31" },
  {},
);

/** GET /v1/analytics/conversion */
export const ConversionParams = dateRange(
  "the days inquiries arrived",
  { from: "2026-01-01", to: "2026-12-31" },
  {
    by: z
      .enum(["channel", "service"])
      .default("channel")
      .meta({ description: "Split by inquiry channel or by the service asked about.", example: "channel" }),
  },
);

/** GET /v1/analytics/period-comparison */
export const PeriodComparisonParams = z.strictObject({
  metric: z.enum(COMPARISON_METRICS).meta({ description: "The figure compared.", example: "netRevenue" }),
  period: z
    .enum(PERIODS)
    .default("month")
    .meta({ description: "Length of the period; seasons are Mar–May, Jun–Aug, Sep–Nov, Dec–Feb.", example: "quarter" }),
  compareTo: z
    .enum(COMPARE_TO)
    .default("previous")
    .meta({ description: "The period just before, or the same period a year earlier.", example: "lastYear" }),
  // The compared period starts up to a year and a season before the anchor's, and ends at most a season after it; both
  // must be days the engine can ask about (1900–2299), so the anchor keeps that margin at each end.
  anchor: date("A day of the current period, YYYY-MM-DD, 1902–2298; default today (UTC).", "2026-06-13")
    .refine((day) => day >= "1902-01-01" && day <= "2298-12-31", "must be between 1902-01-01 and 2298-12-31")
    .optional(),
  format,
});
