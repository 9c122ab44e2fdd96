import { describe, expect, it } from "vitest";
import { ApiError } from "../platform/http/api-error.ts";
import { negotiateFormat } from "./send-answer.ts";

const refusal = (format: string | undefined, accept: string | undefined) => {
  try {
    negotiateFormat(format, accept);
  } catch (error) {
    return error instanceof ApiError ? error.code : "not an ApiError";
  }
  return "accepted";
};

describe("negotiateFormat", () => {
  it("takes ?format= over the Accept header", () => {
    expect(negotiateFormat("csv", "application/json")).toBe("csv");
    expect(negotiateFormat("ndjson", undefined)).toBe("ndjson");
    expect(refusal("xml", "application/json")).toBe("invalid_request");
  });

  it("answers JSON when the Accept header asks for nothing in particular", () => {
    expect(negotiateFormat(undefined, undefined)).toBe("json");
    expect(negotiateFormat(undefined, "")).toBe("json");
    expect(negotiateFormat(undefined, "*/*")).toBe("json");
  });

  it("takes the most preferred media type it can write, by q then by order", () => {
    expect(negotiateFormat(undefined, "text/csv")).toBe("csv");
    expect(negotiateFormat(undefined, "application/json;q=0.5, text/csv;q=0.8")).toBe("csv");
    expect(negotiateFormat(undefined, "text/html, application/x-ndjson, text/csv")).toBe("ndjson");
    expect(negotiateFormat(undefined, "text/csv;q=0, */*;q=0.1")).toBe("json");
  });

  it("is a 406 when the Accept header names nothing it can write", () => {
    expect(refusal(undefined, "application/xml")).toBe("not_acceptable");
    expect(refusal(undefined, "text/csv;q=0")).toBe("not_acceptable");
  });
});
