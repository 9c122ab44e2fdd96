/**
 * How far a live feed client has been sent anomalies: per log partition (by index), the offset from which its
 * anomalies are still to be sent. It travels as the SSE frame id (`12.0.7.3`), so a reconnecting client's
 * `Last-Event-ID` says exactly where to resume.
 */
export type LiveCursor = number[];

/** The text form of a cursor: one offset per partition, joined by dots. */
export const LIVE_CURSOR_PATTERN = /^\d{1,15}(\.\d{1,15}){0,255}$/;

/** The SSE id of a cursor. */
export function encodeCursor(cursor: LiveCursor): string {
  return cursor.join(".");
}

/** The cursor of an SSE id matching LIVE_CURSOR_PATTERN. */
export function decodeCursor(id: string): LiveCursor {
  return id.split(".").map(Number);
}
