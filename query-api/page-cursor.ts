import { createHash } from "node:crypto";
import { invalidRequest } from "../platform/http/create-router.ts";

const digest = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("base64url").slice(0, 16);

/** A short digest of a question without its page size, so a cursor is only taken by the question it came from. */
function questionDigest(name: string, params: Record<string, unknown>): string {
  const { limit: _limit, cursor: _cursor, ...question } = params;
  return digest([name, Object.fromEntries(Object.entries(question).sort(([a], [b]) => (a < b ? -1 : 1)))]);
}

/** The cursor of the page starting at `offset` of a question. Opaque to the caller: the offset and the question's digest. */
export function pageCursor(name: string, params: Record<string, unknown>, offset: number): string {
  return Buffer.from(JSON.stringify([offset, questionDigest(name, params)])).toString("base64url");
}

/**
 * The offset a cursor names (0 without one), or a 400 when it is not a cursor of this question. A cursor does not pin
 * the data: each page is cut from the answer as it stands when that page is asked (its meta.watermark says which), so
 * rows the organisation's new events add or move before a cursor's offset shift the pages after it. Tying cursors to
 * the processing watermark was tried and refused every cursor under steady ingest, since the watermark moves with
 * any organisation's events.
 */
export function pageOffset(name: string, params: Record<string, unknown>, cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = [];
  }
  const [offset, question] = Array.isArray(decoded) ? decoded : [];
  if (!Number.isSafeInteger(offset) || (offset as number) < 0 || typeof question !== "string") {
    throw invalidRequest([{ path: "cursor", message: "is not a cursor this API gave out" }]);
  }
  if (question !== questionDigest(name, params)) {
    throw invalidRequest([
      { path: "cursor", message: "belongs to another question: ask the same question to get its next page" },
    ]);
  }
  return offset as number;
}
