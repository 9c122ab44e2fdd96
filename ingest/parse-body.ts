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
    return {
      ok: false,
      problem: {
        code: "unsupported_media_type",
        message: `Content-Encoding '${encoding}' is not supported; use gzip or none`,
      },
    };
  }
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType === "application/x-ndjson") return { ok: true, items: parseNdjson(bytes) };
  if (mediaType === "application/json" || mediaType === "") {
    const text = decodeUtf8(bytes);
    if (text === undefined) {
      return {
        ok: false,
        problem: { code: "invalid_request", message: `the body is not valid UTF-8 (${describeInvalidUtf8(bytes)})` },
      };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return {
        ok: false,
        problem: { code: "invalid_request", message: `the body is not valid JSON: ${(error as Error).message}` },
      };
    }
    const values = Array.isArray(value) ? value : [value];
    return { ok: true, items: values.map((item) => ({ ok: true, value: item })) };
  }
  return {
    ok: false,
    problem: {
      code: "unsupported_media_type",
      message: `Content-Type '${mediaType}' is not accepted; use ${INGEST_MEDIA_TYPES.join(" or ")}`,
    },
  };
}

// Bytes that are not UTF-8 are refused rather than replaced by U+FFFD: a replaced character would change the producer's
// data without telling it.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of UTF-8 bytes, or undefined when they are not valid UTF-8. */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Where the first invalid UTF-8 sequence of bytes known to hold one ends. */
function describeInvalidUtf8(bytes: Uint8Array): string {
  // A prefix decoded as a stream fails exactly when it holds a complete invalid sequence (a character cut at its end is
  // held back, not refused), so failing is monotonic in the prefix length: bisect for the shortest failing prefix.
  const fails = (end: number) => {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  if (!fails(bytes.length)) return "it ends inside a multi-byte character";
  let [low, high] = [0, bytes.length];
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (fails(mid)) high = mid;
    else low = mid;
  }
  return `the first invalid byte sequence ends at byte ${high - 1}`;
}

/**
 * One item per non-empty line. A line that is not UTF-8 is a bad item like a line that is not JSON; lines are split on
 * the byte 0x0A, which never occurs inside a multi-byte UTF-8 character.
 */
function parseNdjson(bytes: Uint8Array): BodyItem[] {
  const whole = decodeUtf8(bytes);
  const lines: (string | undefined)[] = whole !== undefined ? whole.split("\n") : splitLines(bytes).map(decodeUtf8);
  const items: BodyItem[] = [];
  for (const line of lines) {
    if (line === undefined) {
      items.push({ ok: false, message: "line is not valid UTF-8" });
      continue;
    }
    if (line.trim() === "") continue;
    try {
      items.push({ ok: true, value: JSON.parse(line) });
    } catch (error) {
      items.push({ ok: false, message: `line is not valid JSON: ${(error as Error).message}` });
    }
  }
  return items;
}

function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, at));
    start = at + 1;
  }
  lines.push(bytes.subarray(start));
  return lines;
}
