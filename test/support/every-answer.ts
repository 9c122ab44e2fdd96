import { expect } from "vitest";
import type { App } from "../../bin/create-app.ts";
import { METRIC_NAMES } from "../../query-api/aggregation/metrics.ts";
import { COMPARE_TO, PERIODS } from "../../query-api/comparison-periods.ts";
import { COMPARISON_METRICS } from "../../query-api/period-comparison-query.ts";
import { RECEIVABLE_BUCKETS } from "../../query-api/receivables-query.ts";
import { loadMonthlyReport } from "../../reports/monthly-report.ts";

/** The span of dates every question below is asked over. */
export interface AnswerSpan {
  from: string;
  to: string;
  /** Days the receivables are aged from and periods are anchored on. */
  asOf: string[];
  /** Months a monthly report is loaded for, YYYY-MM. */
  months: string[];
}

type Params = Record<string, string | number | boolean>;

/**
 * Every answer an organisation's figures show, as data only (no watermark, no cursor): each named endpoint with its
 * variants, the aggregation request for every metric, the anomaly list (without the fields that say when or in which
 * organisation an anomaly was recorded, nor which copy of a re-sent fact it names) and the monthly report's figures. Two organisations holding the same events
 * must get equal results, whatever order their events arrived in (DESIGN.md, guarantee 7).
 */
export async function everyAnswer(app: App, apiKey: string, orgId: string, span: AnswerSpan) {
  const headers = { authorization: `Bearer ${apiKey}` };
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await app.http.request(path, { ...init, headers: { ...headers, ...init.headers } });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    return (await res.json()) as { data: unknown[]; meta?: { nextCursor?: string | null } };
  };
  /** Every row of a question, following its cursor. */
  const all = async (path: string, params: Params) => {
    const rows: unknown[] = [];
    let cursor: string | null | undefined;
    do {
      const query = new URLSearchParams(
        Object.entries(cursor ? { ...params, cursor } : params).map(([k, v]): [string, string] => [k, String(v)]),
      );
      const answer = await call(`/v1/${path}?${query}`);
      rows.push(...answer.data);
      cursor = answer.meta?.nextCursor;
    } while (cursor);
    return rows;
  };
  const { from, to } = span;
  const answers: Record<string, unknown> = {};
  for (const interval of ["day", "week", "month"]) {
    for (const groupBy of ["none", "service", "region"]) {
      answers[`revenue ${interval} ${groupBy}`] = await all("analytics/revenue", { from, to, interval, groupBy });
    }
    for (const groupBy of ["none", "method", "kind"]) {
      answers[`payments ${interval} ${groupBy}`] = await all("analytics/payments", { from, to, interval, groupBy });
    }
  }
  for (const by of ["month", "weekday"])
    answers[`seasonality ${by}`] = await all("analytics/seasonality", { from, to, by });
  answers["budget-vs-actual"] = await all("analytics/budget-vs-actual", { limit: 1000 });
  answers["budget-vs-actual overruns"] = await all("analytics/budget-vs-actual", { limit: 1000, overrunOnly: true });
  for (const asOf of span.asOf) {
    answers[`receivables ${asOf}`] = await all("analytics/receivables", { asOf });
    for (const bucket of RECEIVABLE_BUCKETS) {
      answers[`receivables ${asOf} ${bucket}`] = await all("analytics/receivables/bookings", {
        asOf,
        bucket,
        limit: 1000,
      });
    }
    for (const metric of COMPARISON_METRICS) {
      for (const period of PERIODS) {
        for (const compareTo of COMPARE_TO) {
          answers[`period-comparison ${asOf} ${metric} ${period} ${compareTo}`] = await all(
            "analytics/period-comparison",
            {
              metric,
              period,
              compareTo,
              anchor: asOf,
            },
          );
        }
      }
    }
  }
  answers["supplier-performance"] = await all("analytics/supplier-performance", { from, to });
  for (const by of ["channel", "service"])
    answers[`conversion ${by}`] = await all("analytics/conversion", { from, to, by });
  for (const metric of METRIC_NAMES) {
    for (const dateField of ["occurred", "wedding"]) {
      const body = JSON.stringify({ metrics: [metric], interval: "month", dateField, from, to, limit: 10_000 });
      const answer = await call("/v1/analytics/query", {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      answers[`query ${metric} ${dateField}`] = answer.data;
    }
  }
  const anomalies = (await all("anomalies", { limit: 1000 })) as Record<string, unknown>[];
  // An anomaly's event is the copy of its fact that arrived first when the same fact was sent under two event ids
  // (rule 4: it counts once), so which of the ids it names is the one thing arrival decides.
  answers.anomalies = anomalies
    .map(({ id: _id, detectedAt: _detected, eventId: _event, ...rest }) => rest)
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  for (const month of span.months) {
    const { orgId: _org, orgName: _name, generatedAt: _at, ...report } = await loadMonthlyReport(app, { orgId, month });
    answers[`report ${month}`] = report;
  }
  return answers;
}
