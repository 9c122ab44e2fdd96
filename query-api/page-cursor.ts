import { createHash } from "node:crypto";
import { invalidRequest } from "../platform/http/create-router.ts";

const digest = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("base64url").slice(0, 16);

/** A short digest of a question without its page size, so a cursor is only taken by the question it came from. */
function questionDigest(name: string, params: Record<string, unknown>): string {
  const { limit: _limit, cursor: _cursor, ...question } = params;
  return digest([name, Object.fromEntries(Object.entries(question).sort(([a], [b]) => (a < b ? -1 : 1)))]);
}

/**
 * The cursor of the page starting at `offset` of a question, asked when processing had got to `processed` (the
 * watermark's next offset per partition). Opaque to the caller: the offset, the question's digest and the data's.
 */
export function pageCursor(name: string, params: Record<string, unknown>, processed: readonly number[], offset: number): string {
  return Buffer.from(JSON.stringify([offset, questionDigest(name, params), digest(processed)])).toString("base64url");
}

/**
 * The offset a cursor names (0 without one), or a 400 when it is not a cursor of this question, or was given out before
 * processing moved past `processed`: rows may since have been added or moved between pages, so an offset taken then
 * could skip or repeat rows now. Such a caller starts again from the first page.
 */
export function pageOffset(name: string, params: Record<string, unknown>, processed: readonly number[], cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = [];
  }
  const [offset, question, data] = Array.isArray(decoded) ? decoded : [];
  if (!Number.isSafeInteger(offset) || (offset as number) < 0 || typeof data !== "string") {
    throw invalidRequest([{ path: "cursor", message: "is not a cursor this API gave out" }]);
  }
  if (question !== questionDigest(name, params)) {
    throw invalidRequest([{ path: "cursor", message: "belongs to another question: ask the same question to get its next page" }]);
  }
  if (data !== digest(processed)) {
    throw invalidRequest([{ path: "cursor", message: "the data changed since the first page was answered: ask for the first page again" }]);
  }
  return offset as number;
}
