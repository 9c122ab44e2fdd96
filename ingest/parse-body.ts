import { gunzipSync } from "node:zlib";

/** One item of a request body: a parsed JSON value, or why its text could not be parsed. */
export type BodyItem = { ok: true; value: unknown } | { ok: false; message: string };

/** Why a whole body was refused before looking at its items. */
export type BodyProblem = { code: "unsupported_media_type" | "invalid_request" | "payload_too_large"; message: string };

/** The media types POST /v1/events accepts. */
export const INGEST_MEDIA_TYPES = ["application/json", "application/x-ndjson"] as const;

/**
 * Splits a request body into items: a JSON object is one item, a JSON array is one item per
 * element, NDJSON is one item per non-empty line. A bad NDJSON line is a bad item, not a bad
 * body, so its neighbours still count. Gzip bodies are inflated up to `maxBytes`.
 */
export function parseBody(
  raw: Uint8Array,
  { contentType, contentEncoding, maxBytes }: { contentType: string; contentEncoding: string; maxBytes: number },
): { ok: true; items: BodyItem[] } | { ok: false; problem: BodyProblem } {
  let bytes = raw;
  const encoding = contentEncoding.trim().toLowerCase();
  if (encoding === "gzip") {
    try {
      bytes = gunzipSync(raw, { maxOutputLength: maxBytes });
    } catch (error) {
      const tooLarge = (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
      return {
        ok: false,
        problem: tooLarge
          ? { code: "payload_too_large", message: `the inflated body exceeds ${maxBytes} bytes` }
          : { code: "invalid_request", message: "the body is not valid gzip" },
      };
    }
  } else if (encoding !== "" && encoding !== "identity") {
    return { ok: false, problem: { code: "unsupported_media_type", message: `Content-Encoding '${encoding}' is not supported; use gzip or none` } };
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType === "application/x-ndjson") return { ok: true, items: parseNdjson(text) };
  if (mediaType === "application/json" || mediaType === "") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, problem: { code: "invalid_request", message: `the body is not valid JSON: ${(error as Error).message}` } };
    }
    const values = Array.isArray(value) ? value : [value];
    return { ok: true, items: values.map((item) => ({ ok: true, value: item })) };
  }
  return {
    ok: false,
    problem: { code: "unsupported_media_type", message: `Content-Type '${mediaType}' is not accepted; use ${INGEST_MEDIA_TYPES.join(" or ")}` },
  };
}

function parseNdjson(text: string): BodyItem[] {
  const items: BodyItem[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      items.push({ ok: true, value: JSON.parse(line) });
    } catch (error) {
      items.push({ ok: false, message: `line is not valid JSON: ${(error as Error).message}` });
    }
  }
  return items;
}
