import type { GeneratedItem } from "../../generator/generated-item.ts";
import { aggregateFacts, expectedAggregate, type AggregateFacts } from "../../oracle/expected-aggregate.ts";
import {
  expectedBudgetVsActual,
  expectedPeriodComparison,
  expectedReceivables,
  expectedSeasonality,
  expectedSupplierPerformance,
} from "../../oracle/expected-named-analytics.ts";
import { namedFacts, type NamedFacts } from "../../oracle/named-analytics-facts.ts";
import { replayEvents } from "../../oracle/replay-events.ts";
import { AggregateRequest, checkAggregateRequest } from "../../query-api/aggregation/aggregate-request.ts";
import { comparedPeriod, periodContaining } from "../../query-api/comparison-periods.ts";

/** The year the questions ask about: the last full year of the query-latency scenario's data. */
export const QUESTION_YEAR = { from: "2025-01-01", to: "2025-12-31" } as const;

/** What an answer is checked against: the asked organisation's accepted events, replayed independently of the SQL. */
export interface QuestionFacts {
  aggregate: AggregateFacts;
  named: NamedFacts;
}

/** One question to the analytics API, and the rows its JSON answer must hold. */
export interface AnalyticsQuestion {
  /** Names its figures. */
  name: string;
  /** The path under /v1/analytics, with its query string for a GET. */
  path: string;
  /** The JSON body of a POST; a GET has none. */
  body?: Record<string, unknown>;
  /** The rows of the answer (of its first page when paged), computed from the facts. */
  expected(facts: QuestionFacts): unknown[];
}

/** The pipeline's duplicate-payment window, as bin/create-app.ts sets it. */
const DUPLICATE_WINDOW_MS = 24 * 3_600_000;
const PERIOD = { metric: "netRevenue", period: "quarter", compareTo: "lastYear", anchor: "2025-06-15" } as const;
const RECEIVABLES_AS_OF = QUESTION_YEAR.to;

/** An aggregation asked in one page (the largest), so the whole answer is timed and checked. */
function aggregation(name: string, request: Record<string, unknown>): AnalyticsQuestion {
  const body = { ...request, limit: 10_000 };
  return {
    name,
    path: "query",
    body,
    expected: (facts) => expectedAggregate(facts.aggregate, checkAggregateRequest(AggregateRequest.parse(body))),
  };
}

/**
 * What the aggregation engine and the named endpoints are asked in the query-latency scenario: each reads the raw
 * `events` table (FINAL, per-booking GROUP BYs), not a rollup. Supplier performance also joins the `anomalies` table,
 * which the scenario does not fill (the processors flag anomalies; the scenario writes rows directly): its anomaly
 * counts are expected to be 0, and its join runs against an empty table.
 */
export const ANALYTICS_QUESTIONS: readonly AnalyticsQuestion[] = [
  aggregation("query_month_service", {
    metrics: ["bookings", "contractValue", "paymentsReceived"],
    groupBy: ["service"],
    interval: "month",
    ...QUESTION_YEAR,
  }),
  aggregation("query_weddingmonth_weekday", {
    metrics: ["bookings", "contractValue", "paymentsReceived"],
    groupBy: ["weddingMonth", "weekday"],
    dateField: "wedding",
    ...QUESTION_YEAR,
  }),
  aggregation("query_conversion_channel", {
    metrics: ["inquiries", "conversionRate"],
    groupBy: ["channel"],
    ...QUESTION_YEAR,
  }),
  aggregation("query_budget_expenses_category", {
    metrics: ["budgetAllocated", "expenses"],
    groupBy: ["category"],
    ...QUESTION_YEAR,
  }),
  {
    name: "seasonality_month",
    path: `seasonality?${new URLSearchParams({ ...QUESTION_YEAR, by: "month" })}`,
    expected: (facts) => expectedSeasonality(facts.named, { ...QUESTION_YEAR, by: "month" }),
  },
  {
    name: "supplier_performance",
    path: `supplier-performance?${new URLSearchParams(QUESTION_YEAR)}`,
    expected: (facts) =>
      expectedSupplierPerformance(facts.named, QUESTION_YEAR).map((row) => ({ ...row, anomalies: 0 })),
  },
  {
    name: "receivables",
    path: `receivables?${new URLSearchParams({ asOf: RECEIVABLES_AS_OF })}`,
    expected: (facts) => expectedReceivables(facts.named, { asOf: RECEIVABLES_AS_OF }),
  },
  {
    // The first page at the default page size: what a dashboard asks first.
    name: "budget_vs_actual_page1",
    path: "budget-vs-actual",
    expected: (facts) => expectedBudgetVsActual(facts.named, { overrunOnly: false }).slice(0, 100),
  },
  {
    name: "period_comparison_quarter",
    path: `period-comparison?${new URLSearchParams(PERIOD)}`,
    expected: (facts) => {
      const current = periodContaining(PERIOD.period, PERIOD.anchor);
      return expectedPeriodComparison(
        facts.named,
        PERIOD.metric,
        current,
        comparedPeriod(PERIOD.period, current, PERIOD.compareTo),
      );
    },
  },
];

/**
 * The facts of one organisation from generated items (all organisations', in arrival order), as the pipeline would
 * accept them: a repeated id once, and what it dead-letters nowhere.
 */
export function questionFacts(items: readonly GeneratedItem[], orgKey: string): QuestionFacts {
  const facts = replayEvents(items).get(orgKey);
  if (facts === undefined) throw new Error(`no events of organisation ${orgKey}`);
  return {
    aggregate: aggregateFacts(facts),
    named: namedFacts(facts, { duplicatePaymentWindowMs: DUPLICATE_WINDOW_MS }),
  };
}
