import { describe, expect, it } from "vitest";
import { ApiError } from "../platform/http/api-error.ts";
import { pageCursor, pageOffset } from "./page-cursor.ts";

const QUESTION = { from: "2026-01-01", to: "2026-12-31", limit: 50 };
const PROCESSED = [120, 0, 37, 4];

/** The details of the 400 a cursor is refused with, or the offset it names. */
function read(params: Record<string, unknown>, processed: number[], cursor: string | undefined) {
  try {
    return pageOffset("payments", params, processed, cursor);
  } catch (error) {
    if (error instanceof ApiError && error.code === "invalid_request") return error.details;
    throw error;
  }
}

describe("page cursors", () => {
  it("name the offset of the same question, whatever the page size or the order of its parameters", () => {
    const cursor = pageCursor("payments", QUESTION, PROCESSED, 100);
    expect(read(QUESTION, PROCESSED, cursor)).toBe(100);
    expect(read({ limit: 7, to: "2026-12-31", from: "2026-01-01" }, [...PROCESSED], cursor)).toBe(100);
    expect(read(QUESTION, PROCESSED, undefined)).toBe(0);
  });

  it("are refused by another question, or once processing has moved on since they were given out", () => {
    const cursor = pageCursor("payments", QUESTION, PROCESSED, 100);
    expect(read({ ...QUESTION, to: "2026-12-30" }, PROCESSED, cursor)).toEqual([
      { path: "cursor", message: "belongs to another question: ask the same question to get its next page" },
    ]);
    expect(read(QUESTION, [120, 0, 38, 4], cursor)).toEqual([
      { path: "cursor", message: "the data changed since the first page was answered: ask for the first page again" },
    ]);
  });

  it("are refused when they are not cursors this API gave out", () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const cursor of ["not-a-cursor", "", forged([-1, "a", "b"]), forged([1.5, "a", "b"]), forged({ offset: 3 }), forged([3, "a"])]) {
      expect(read(QUESTION, PROCESSED, cursor), cursor).toEqual([{ path: "cursor", message: "is not a cursor this API gave out" }]);
    }
  });
});
