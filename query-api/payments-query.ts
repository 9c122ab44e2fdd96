import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { engineQuery } from "./engine-question.ts";

/** Payments received over time, for one organisation; days are UTC, both ends inclusive. */
export interface PaymentsQuery {
  from: string;
  to: string;
  interval: "day" | "week" | "month";
  groupBy: "none" | "method" | "kind";
}

/** Payments received in one bucket, method or kind, and currency, in integer minor units. */
export interface PaymentsRow {
  /** First day of the bucket, YYYY-MM-DD (weeks start on Monday). */
  bucket: string;
  /** The payment method or kind; null when groupBy is none (or the payment named no kind). */
  group: string | null;
  currency: string;
  paymentsReceived: number;
}

const DIMENSION = { method: "paymentMethod", kind: "paymentKind" } as const;

/** The engine's paymentsReceived by interval (and method or kind), as PaymentsRow columns in bucket, group, currency order. */
export function paymentsQuery(orgId: string, q: PaymentsQuery): BoundQuery {
  const dimension = q.groupBy === "none" ? undefined : DIMENSION[q.groupBy];
  const inner = engineQuery(orgId, {
    metrics: ["paymentsReceived"],
    groupBy: dimension === undefined ? [] : [dimension],
    interval: q.interval,
    from: q.from,
    to: q.to,
  });
  const query = `
    SELECT bucket, ${dimension ?? "CAST(NULL AS Nullable(String))"} AS group, currency, paymentsReceived
    FROM (${inner.query})
    ORDER BY bucket, group ASC NULLS FIRST, currency`;
  return { query, params: inner.params };
}
