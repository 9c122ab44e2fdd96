import { z } from "zod";
import { invalidRequest, type FieldIssue } from "../../platform/http/create-router.ts";
import { CalendarDate } from "../../schemas/index.ts";
import {
  DATE_FIELDS,
  DIMENSION_NAMES,
  DIMENSIONS,
  INTERVALS,
  type DateField,
  type DimensionDefinition,
  type DimensionName,
  type Interval,
} from "./dimensions.ts";
import type { SourceName } from "./fact-sources.ts";
import { METRIC_NAMES, METRICS, sourcesOf, type MetricName } from "./metrics.ts";

/** The most rows one page may hold. */
const MAX_LIMIT = 10_000;

const FilterValue = z.union([
  z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  z.number().int(),
]);
const Filter = z
  .union([
    FilterValue,
    z.array(FilterValue).min(1, "must name at least one value").max(1000, "must name at most 1000 values"),
    z
      .strictObject({ gte: FilterValue.optional(), lte: FilterValue.optional() })
      .refine((range) => range.gte !== undefined || range.lte !== undefined, "a range needs gte, lte or both"),
  ])
  .meta({ description: "One value, any of several values, or an inclusive range {gte, lte}." });

/** What an output column can be sorted by: a metric asked for, a dimension grouped by, or the time bucket. */
const ORDER_FIELDS = ["bucket", ...METRIC_NAMES, ...DIMENSION_NAMES] as const;

/** The example request of the documentation, and the question its example answer echoes. */
export const AGGREGATE_EXAMPLE = {
  metrics: ["bookings", "contractValue", "paymentsReceived"],
  groupBy: ["service"],
  interval: "month",
  dateField: "occurred",
  from: "2026-01-01",
  to: "2026-12-31",
  filters: { region: ["London", "Kent"], weekday: { gte: 6 } },
  orderBy: [{ field: "contractValue", direction: "desc" }],
  limit: 100,
};

/** The aggregation request as posted. Names are checked against the whitelists; values are bound, never spliced. */
export const AggregateRequest = z
  .strictObject({
    metrics: z
      .array(z.enum(METRIC_NAMES))
      .min(1, "must name at least one metric")
      .meta({ description: `Figures to compute: ${METRIC_NAMES.join(", ")}.` }),
    groupBy: z
      .array(z.enum(DIMENSION_NAMES))
      .default([])
      .meta({
        description: `Dimensions to split by, in output order: ${DIMENSION_NAMES.join(", ")}. Money metrics add currency.`,
      }),
    interval: z
      .enum(INTERVALS)
      .optional()
      .meta({ description: "Split by time too: each row's `bucket` is its first day (weeks start on Monday)." }),
    dateField: z.enum(DATE_FIELDS).default("occurred").meta({
      description: "The date that places a fact in the range and buckets: when it happened, or its wedding's date.",
    }),
    from: CalendarDate.meta({ description: "First day of the range (UTC), inclusive." }),
    to: CalendarDate.meta({ description: "Last day of the range (UTC), inclusive." }),
    filters: z
      .partialRecord(z.enum(DIMENSION_NAMES), Filter)
      .default({})
      .meta({ description: "Keep only facts whose dimension matches: a value, a list of values, or {gte, lte}." }),
    orderBy: z
      .array(z.strictObject({ field: z.enum(ORDER_FIELDS), direction: z.enum(["asc", "desc"]).default("asc") }))
      .default([])
      .meta({
        description: "Sort keys, before the grouping keys (which always break ties). Nulls sort first ascending.",
      }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_LIMIT)
      .default(1000)
      .meta({ description: `Rows per page, 1–${MAX_LIMIT}.` }),
    cursor: z.string().max(200).optional().meta({
      description:
        "meta.nextCursor (or the X-Next-Cursor header) of the previous page of the same question. Refused (400) once new events have been processed since the first page: start again from it.",
    }),
  })
  .meta({
    description:
      "A safe aggregation: whitelisted metrics × dimensions × filters over a calendar range of one organisation.",
    example: AGGREGATE_EXAMPLE,
  });

/** A filter of one dimension, as normalised. */
export type FilterSpec = string | number | (string | number)[] | { gte?: string | number; lte?: string | number };

/** A checked question: names resolved, currency added where money needs it. */
export interface AggregateQuestion {
  metrics: MetricName[];
  /** Output dimensions in order; `currency` is appended when a money metric is asked for and it was not named. */
  groupBy: DimensionName[];
  interval?: Interval;
  dateField: DateField;
  from: string;
  to: string;
  filters: Partial<Record<DimensionName, FilterSpec>>;
  orderBy: { field: (typeof ORDER_FIELDS)[number]; direction: "asc" | "desc" }[];
  limit: number;
}

/** What a metric can be grouped and filtered by: the dimensions every one of its sources has. */
function dimensionsOf(metric: MetricName): DimensionName[] {
  const sources = sourcesOf(metric);
  return DIMENSION_NAMES.filter((d) =>
    sources.every((s) => (DIMENSIONS[d].sources as readonly SourceName[]).includes(s)),
  );
}

/**
 * Checks what the schema cannot: the range, repeated names, that every metric has every dimension it is grouped or
 * filtered by, that filter values have the dimension's type (and range) and that sort fields are in the output.
 * Returns the normalised question, or throws a 400 naming every problem (with the allowed names). The cursor is the
 * runner's to read (query-api/page-cursor.ts), against the watermark it answers under.
 */
export function checkAggregateRequest(request: z.infer<typeof AggregateRequest>): AggregateQuestion {
  const issues: FieldIssue[] = [];
  if (request.from > request.to) issues.push({ path: "to", message: "must not be before from" });
  const metrics = [...new Set(request.metrics)];
  const named = [...new Set(request.groupBy)];
  if (metrics.length < request.metrics.length) issues.push({ path: "metrics", message: "names a metric twice" });
  if (named.length < request.groupBy.length) issues.push({ path: "groupBy", message: "names a dimension twice" });

  const money = metrics.filter((m) => METRICS[m].money);
  // Money is never added across currencies: a money figure is always split by its currency.
  const groupBy = money.length > 0 && !named.includes("currency") ? [...named, "currency" as const] : named;
  const needs = (dimension: DimensionName, path: string, why: string) => {
    for (const metric of metrics) {
      const allowed = dimensionsOf(metric);
      if (!allowed.includes(dimension)) {
        issues.push({
          path,
          message: `${metric} cannot be ${why} ${dimension}; it can be grouped and filtered by: ${allowed.join(", ")}`,
        });
      }
    }
  };
  groupBy.forEach((dimension, i) => {
    needs(
      dimension,
      i < named.length ? `groupBy.${i}` : "metrics",
      i < named.length ? "grouped by" : `asked with the money metric ${money[0]}, split by`,
    );
  });
  const filters = request.filters as Partial<Record<DimensionName, FilterSpec>>;
  for (const [dimension, filter] of Object.entries(filters) as [DimensionName, FilterSpec][]) {
    needs(dimension, `filters.${dimension}`, "filtered by");
    const range = typeof filter === "object" && !Array.isArray(filter);
    const values = (range ? [filter.gte, filter.lte] : [filter].flat()).filter((v) => v !== undefined);
    const definition: DimensionDefinition = DIMENSIONS[dimension];
    if (definition.type === "string") {
      if (values.some((v) => typeof v !== "string"))
        issues.push({ path: `filters.${dimension}`, message: `values of ${dimension} are strings` });
    } else {
      // An integer outside the dimension's range matches nothing, and may not even bind as its parameter type.
      const [min, max] = definition.range;
      if (values.some((v) => typeof v !== "number" || v < min || v > max)) {
        issues.push({
          path: `filters.${dimension}`,
          message: `values of ${dimension} are integers from ${min} to ${max}`,
        });
      }
    }
  }
  const outputs = new Set<string>([...metrics, ...groupBy, ...(request.interval ? ["bucket"] : [])]);
  request.orderBy.forEach(({ field }, i) => {
    if (!outputs.has(field)) {
      issues.push({
        path: `orderBy.${i}.field`,
        message: `${field} is not in the output; sort by one of: ${[...outputs].join(", ")}`,
      });
    }
  });

  const question: AggregateQuestion = {
    metrics,
    groupBy,
    ...(request.interval === undefined ? {} : { interval: request.interval }),
    dateField: request.dateField,
    from: request.from,
    to: request.to,
    // Sorted, so the same filters in another order are the same question (one cache entry, one cursor).
    filters: Object.fromEntries(Object.entries(filters).sort(([a], [b]) => (a < b ? -1 : 1))),
    orderBy: request.orderBy,
    limit: request.limit,
  };
  if (issues.length > 0) throw invalidRequest(issues);
  return question;
}
