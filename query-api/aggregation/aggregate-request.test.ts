import { describe, expect, it } from "vitest";
import { ApiError } from "../../platform/http/api-error.ts";
import { AggregateRequest, checkAggregateRequest } from "./aggregate-request.ts";

const RANGE = { from: "2026-01-01", to: "2026-12-31" };

/** The details of the 400 a request is refused with, or "accepted". */
function refusal(request: Record<string, unknown>) {
  try {
    checkAggregateRequest(AggregateRequest.parse({ metrics: ["bookings"], ...RANGE, ...request }));
  } catch (error) {
    if (error instanceof ApiError && error.code === "invalid_request") return error.details;
    throw error;
  }
  return "accepted";
}

describe("checkAggregateRequest", () => {
  it("refuses integer filters outside the dimension's range, naming the range", () => {
    for (const weekday of [-1, 0, 8, 70_000, [6, 70_000], { gte: -5 }, { gte: 1, lte: 70_000 }]) {
      expect(refusal({ filters: { weekday } }), JSON.stringify(weekday)).toEqual([
        { path: "filters.weekday", message: "values of weekday are integers from 1 to 7" },
      ]);
    }
    for (const weddingMonth of [0, 13, -12, { lte: 70_000 }]) {
      expect(refusal({ filters: { weddingMonth } }), JSON.stringify(weddingMonth)).toEqual([
        { path: "filters.weddingMonth", message: "values of weddingMonth are integers from 1 to 12" },
      ]);
    }
    expect(refusal({ filters: { weekday: "Saturday" } })).toEqual([
      { path: "filters.weekday", message: "values of weekday are integers from 1 to 7" },
    ]);
  });

  it("takes integer filters at the edges of the range", () => {
    for (const filters of [
      { weekday: 1 },
      { weekday: [1, 7] },
      { weekday: { gte: 1, lte: 7 } },
      { weddingMonth: { gte: 12 } },
      { weddingMonth: [1, 12] },
    ]) {
      expect(refusal({ filters }), JSON.stringify(filters)).toBe("accepted");
    }
  });

  it("refuses numbers for text dimensions", () => {
    expect(refusal({ filters: { service: 3 } })).toEqual([
      { path: "filters.service", message: "values of service are strings" },
    ]);
  });
});
