import { createHash } from "node:crypto";
import { invalidRequest } from "../platform/http/create-router.ts";

/** A short digest of a question without its page size, so a cursor is only taken by the question it came from. */
function digestOf(name: string, params: Record<string, unknown>): string {
  const { limit: _limit, cursor: _cursor, ...question } = params;
  const sorted = Object.fromEntries(Object.entries(question).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash("sha256").update(JSON.stringify([name, sorted])).digest("base64url").slice(0, 16);
}

/** The cursor of the page starting at `offset` of a named question. */
export function pageCursor(name: string, params: Record<string, unknown>, offset: number): string {
  return Buffer.from(JSON.stringify([offset, digestOf(name, params)])).toString("base64url");
}

/** The offset a cursor names (0 without one), or a 400 when it is not a cursor of this question. */
export function pageOffset(name: string, params: Record<string, unknown>, cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  let decoded: unknown[];
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
  } catch {
    decoded = [];
  }
  const [offset, digest] = Array.isArray(decoded) ? decoded : [];
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
    throw invalidRequest([{ path: "cursor", message: "is not a cursor this API gave out" }]);
  }
  if (digest !== digestOf(name, params)) {
    throw invalidRequest([{ path: "cursor", message: "belongs to another question: ask the same question to get its next page" }]);
  }
  return offset as number;
}
