import type { BoundQuery } from "./aggregation/build-aggregate-query.ts";
import { engineQuery } from "./engine-question.ts";

/** Inquiry → booking conversion over the days inquiries arrived (inclusive). */
export interface ConversionQuery {
  from: string;
  to: string;
  by: "channel" | "service";
}

/** Inquiries of one channel or service and how many converted. */
export interface ConversionRow {
  /** The channel (when by channel). */
  channel?: string;
  /** The service asked about (when by service). */
  service?: string;
  inquiries: number;
  /** Inquiries whose wedding has a booking of the same service, whenever it was made. */
  converted: number;
  /** converted / inquiries. */
  rate: number;
}

/** The engine's inquiries, converted inquiries and conversion rate by channel or service. */
export function conversionQuery(orgId: string, q: ConversionQuery): BoundQuery {
  const inner = engineQuery(orgId, {
    metrics: ["inquiries", "convertedInquiries", "conversionRate"],
    groupBy: [q.by],
    from: q.from,
    to: q.to,
  });
  const query = `
    SELECT ${q.by}, inquiries, convertedInquiries AS converted, conversionRate AS rate
    FROM (${inner.query})
    ORDER BY ${q.by}`;
  return { query, params: inner.params };
}
