import type { z } from "zod";
import { AggregateRequest, checkAggregateRequest } from "./aggregation/aggregate-request.ts";
import { buildAggregateQuery, type BoundQuery } from "./aggregation/build-aggregate-query.ts";

/**
 * The SELECT of an aggregation request, checked by the same rules as POST /analytics/query (money split by currency,
 * dimensions each metric has): a named endpoint asks the engine exactly what a caller could. Unpaged and ordered by
 * its grouping keys; the engine binds its values as p0, p1, …, so a caller wrapping it names its own parameters
 * otherwise.
 */
export function engineQuery(orgId: string, request: z.input<typeof AggregateRequest>): BoundQuery {
  return buildAggregateQuery(orgId, checkAggregateRequest(AggregateRequest.parse(request)));
}
