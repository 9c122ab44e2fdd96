import { describe, expect, it } from "vitest";
import { ApiError } from "../platform/http/api-error.ts";
import { pageCursor, pageOffset } from "./page-cursor.ts";

const QUESTION = { from: "2026-01-01", to: "2026-12-31", limit: 50 };

/** The details of the 400 a cursor is refused with, or the offset it names. */
function read(params: Record<string, unknown>, cursor: string | undefined) {
  try {
    return pageOffset("payments", params, cursor);
  } catch (error) {
    if (error instanceof ApiError && error.code === "invalid_request") return error.details;
    throw error;
  }
}

describe("page cursors", () => {
  it("name the offset of the same question, whatever the page size or the order of its parameters", () => {
    const cursor = pageCursor("payments", QUESTION, 100);
    expect(read(QUESTION, cursor)).toBe(100);
    expect(read({ limit: 7, to: "2026-12-31", from: "2026-01-01" }, cursor)).toBe(100);
    expect(read(QUESTION, undefined)).toBe(0);
  });

  it("are refused by another question, or another endpoint", () => {
    const cursor = pageCursor("payments", QUESTION, 100);
    const another = [
      { path: "cursor", message: "belongs to another question: ask the same question to get its next page" },
    ];
    expect(read({ ...QUESTION, to: "2026-12-30" }, cursor)).toEqual(another);
    expect(() => pageOffset("receivables", QUESTION, cursor)).toThrow(ApiError);
  });

  it("are refused when they are not cursors this API gave out", () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const cursor of [
      "not-a-cursor",
      "",
      forged([-1, "a"]),
      forged([1.5, "a"]),
      forged({ offset: 3 }),
      forged([3]),
    ]) {
      expect(read(QUESTION, cursor), cursor).toEqual([
        { path: "cursor", message: "is not a cursor this API gave out" },
      ]);
    }
  });
});
