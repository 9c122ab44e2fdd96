import type { z } from "zod";
import { validate } from "../platform/http/create-router.ts";
import { AggregateRequest, checkAggregateRequest } from "./aggregation/aggregate-request.ts";
import { buildAggregateQuery, type BoundQuery } from "./aggregation/build-aggregate-query.ts";

/**
 * The SELECT of an aggregation request, checked by the same rules as POST /analytics/query (money split by currency,
 * dimensions each metric has): a named endpoint asks the engine exactly what a caller could. Unpaged and ordered by
 * its grouping keys; the engine binds its values as p0, p1, …, so a caller wrapping it names its own parameters
 * otherwise.
 */
export function engineQuery(orgId: string, request: z.input<typeof AggregateRequest>): BoundQuery {
  // validate, not parse: a request this endpoint built from valid parameters that the engine still refuses is the
  // caller's range at an edge (a 400 naming it), never a 500.
  return buildAggregateQuery(orgId, checkAggregateRequest(validate(AggregateRequest, request)));
}
