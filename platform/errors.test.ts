import { describe, expect, it } from "vitest";
import { ERROR_CODES, HTTP_ERROR_CODES } from "./error-codes.ts";
import {
  InfrastructureError,
  isRetriable,
  LogUnavailableError,
  OffsetsAheadOfLogError,
  WedSyncError,
} from "./errors.ts";
import { ApiError } from "./http/api-error.ts";

describe("the error family", () => {
  it("documents every code, and gives a status exactly to the codes an HTTP answer carries", () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(entry.description.length, code).toBeGreaterThan(10);
      expect(typeof entry.retriable, code).toBe("boolean");
    }
    expect(HTTP_ERROR_CODES).toContain("log_unavailable");
    expect(HTTP_ERROR_CODES).toContain("internal_error");
    expect(HTTP_ERROR_CODES).not.toContain("infrastructure_error");
    expect(HTTP_ERROR_CODES).not.toContain("offsets_ahead_of_log");
  });

  it("takes each error's retriable flag from the registry unless the thrower says otherwise", () => {
    expect(new InfrastructureError("postgres unavailable").retriable).toBe(true);
    expect(new InfrastructureError("could not open PGlite", { retriable: false }).retriable).toBe(false);
    expect(new LogUnavailableError("the event log is closed").retriable).toBe(true);
    expect(new OffsetsAheadOfLogError("the log ends at 3").retriable).toBe(false);
    expect(new WedSyncError("invalid_month", "not a YYYY-MM month: 2026-13").retriable).toBe(false);
  });

  it("retries anything but what the product marked as not retriable", () => {
    expect(isRetriable(new Error("ECONNRESET"))).toBe(true);
    expect(isRetriable("a thrown string")).toBe(true);
    expect(isRetriable(new InfrastructureError("postgres unavailable"))).toBe(true);
    expect(isRetriable(new OffsetsAheadOfLogError("the log ends at 3"))).toBe(false);
  });

  it("makes ApiError one of the family: a code with its status, its name and its body", () => {
    const error = new ApiError("rate_limited", "retry in 3 s", { retryAfterSeconds: 3 }, { "Retry-After": "3" });
    expect(error).toBeInstanceOf(WedSyncError);
    expect(error).toMatchObject({
      name: "ApiError",
      code: "rate_limited",
      status: 429,
      retriable: true,
      headers: { "Retry-After": "3" },
    });
    expect(error.toBody()).toEqual({
      error: { code: "rate_limited", message: "retry in 3 s", details: { retryAfterSeconds: 3 } },
    });
    expect(new ApiError("not_found", "no such report").toBody()).toEqual({
      error: { code: "not_found", message: "no such report" },
    });
  });
});
