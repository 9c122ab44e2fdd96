import type { ClickHouseClient } from "@clickhouse/client";
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../platform/http/api-error.ts";
import type { AppEnv } from "../platform/http/app-env.ts";
import { ifNoneMatchHolds } from "../platform/http/entity-tag.ts";
import { soFarValid } from "../platform/http/so-far-valid.ts";
import type { SqlClient } from "../platform/sql/sql-client.ts";
import type { Watermark } from "../processors/processor-runtime.ts";
import { CalendarDate } from "../schemas/index.ts";
import type { AnswerCache } from "./answer-cache.ts";
import { queryAnomalies } from "./anomalies-query.ts";
import { queryRevenueJson, REVENUE_GROUPS, REVENUE_INTERVALS } from "./revenue-query.ts";

const RevenueParams = z
  .strictObject({
    from: CalendarDate,
    to: CalendarDate,
    interval: z.enum(REVENUE_INTERVALS).default("month"),
    groupBy: z.enum(REVENUE_GROUPS).default("none"),
  })
  .refine((p) => p.from <= p.to, { message: "must not be before from", path: ["to"], ...soFarValid });

const AnomalyParams = z.strictObject({
  kind: z.enum(["overpayment", "duplicate_payment"]).optional(),
  status: z.enum(["open", "acknowledged", "resolved"]).optional(),
  from: CalendarDate.optional(),
  to: CalendarDate.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Validates query parameters, or throws a 400 naming every bad parameter. */
export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    path: issue.path.length === 0 ? "$" : issue.path.map(String).join("."),
    message: issue.code === "unrecognized_keys" ? `unknown parameter(s): ${issue.keys.join(", ")}` : issue.message,
  }));
  throw new ApiError("invalid_request", details.map((d) => `${d.path}: ${d.message}`).join("; "), details);
}

/** What the analytics routes read from. */
export interface AnalyticsRouteDeps {
  ch: ClickHouseClient;
  sql: SqlClient;
  watermark: () => Promise<Watermark>;
  /** Answers of ClickHouse questions, keyed on the processed offsets; `X-Cache: hit|miss` says which it was. */
  answers: AnswerCache;
}

/**
 * Analytics endpoints under /v1. Every query takes the organisation from the authenticated key,
 * never from the request.
 */
export function createAnalyticsRoutes({ ch, sql, watermark, answers }: AnalyticsRouteDeps) {
  return new Hono<AppEnv>()
    .get("/analytics/revenue", async (c) => {
      const params = parseQuery(RevenueParams, c.req.query());
      const orgId = c.var.auth.orgId;
      // The watermark is read first: the answer then holds at least what it says, so it may be cached under it.
      const mark = await watermark();
      const answer = await answers({ orgId, name: "revenue", params }, mark.processed, () => queryRevenueJson(ch, { orgId, ...params }));
      c.header("X-Cache", answer.hit ? "hit" : "miss");
      // Weak: the data is the same for one tag, while the watermark's end and lag in meta may have moved on.
      const tag = `W/"${answer.key}"`;
      c.header("ETag", tag);
      c.header("Cache-Control", "private, no-cache");
      if (ifNoneMatchHolds(c.req.header("if-none-match"), tag)) return c.body(null, 304);
      c.header("Content-Type", "application/json");
      return c.body(`{"data":${answer.json},"meta":${JSON.stringify({ ...params, watermark: mark })}}`);
    })
    .get("/anomalies", async (c) => {
      const params = parseQuery(AnomalyParams, c.req.query());
      const data = await queryAnomalies(sql, { orgId: c.var.auth.orgId, ...params });
      return c.json({ data, meta: params });
    });
}
