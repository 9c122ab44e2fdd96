import type { ClickHouseClient, ResultSet } from "@clickhouse/client";
import type { Context } from "hono";
import { z } from "zod";
import type { Cache } from "../platform/cache/cache.ts";
import { ApiError } from "../platform/http/api-error.ts";
import type { AppEnv } from "../platform/http/app-env.ts";
import { ifNoneMatchHolds } from "../platform/http/entity-tag.ts";
import type { Logger } from "../platform/logger.ts";
import type { Watermark } from "../processors/watermark.ts";
import { answerKey } from "./answer-cache.ts";
import { pageCursor, pageOffset } from "./page-cursor.ts";

/** The formats an answer can be sent in. */
export const ANSWER_FORMATS = ["json", "csv", "ndjson"] as const;
/** One answer format. */
export type AnswerFormat = (typeof ANSWER_FORMATS)[number];

/** The `?format=` query parameter every answering route takes; it wins over the Accept header. */
export const FormatQuery = z.strictObject({
  format: z
    .enum(ANSWER_FORMATS)
    .optional()
    .meta({ description: "json (default), csv (with a header row) or ndjson; overrides the Accept header." }),
});

/** The Content-Type each answer format is sent with. */
export const ANSWER_MEDIA_TYPES: Record<AnswerFormat, string> = {
  json: "application/json",
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson",
};
// What ClickHouse writes each format as: rows of JSONEachRow become the JSON body's `data` array as they are.
const CLICKHOUSE_FORMATS = { json: "JSONEachRow", csv: "CSVWithNames", ndjson: "JSONEachRow" } as const;
const ACCEPTED: [string, AnswerFormat][] = [
  ["application/json", "json"],
  ["text/csv", "csv"],
  ["application/x-ndjson", "ndjson"],
  ["application/ndjson", "ndjson"],
  ["application/*", "json"],
  ["text/*", "csv"],
  ["*/*", "json"],
];

/**
 * The format of the answer: `?format=` when given, else the Accept header's most preferred media type the API can
 * write (JSON when there is none). An Accept header naming nothing it can write is a 406 listing what it can.
 */
export function negotiateFormat(formatParam: string | undefined, accept: string | undefined): AnswerFormat {
  if (formatParam !== undefined) {
    if ((ANSWER_FORMATS as readonly string[]).includes(formatParam)) return formatParam as AnswerFormat;
    throw new ApiError("invalid_request", `format: must be one of ${ANSWER_FORMATS.join(", ")}`, [
      { path: "format", message: `must be one of ${ANSWER_FORMATS.join(", ")}` },
    ]);
  }
  if (accept === undefined || accept.trim() === "") return "json";
  const ranges = accept
    .split(",")
    .map((part, index) => {
      const [type = "", ...parameters] = part.split(";").map((s) => s.trim().toLowerCase());
      const q = parameters.find((p) => p.startsWith("q="));
      return { type, q: q === undefined ? 1 : Number(q.slice(2)), index };
    })
    .filter((range) => range.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    const match = ACCEPTED.find(([type]) => type === range.type);
    if (match !== undefined) return match[1];
  }
  throw new ApiError(
    "not_acceptable",
    `cannot answer in ${accept}; ask for ${Object.values(ANSWER_MEDIA_TYPES).join(", ")}`,
    {
      accepted: ["application/json", "text/csv", "application/x-ndjson"],
    },
  );
}

/** A page of an ordered answer as asked: its size, and the cursor of a previous page naming where it starts. */
export interface AnswerPage {
  limit: number;
  cursor?: string;
}

/** The page the runner answers: where it starts and the cursor of the page after it. */
interface PagePlace {
  limit: number;
  offset: number;
  nextCursor: string;
}

/** One question to answer over ClickHouse. */
export interface AnswerRequest {
  /** The kind of answer, e.g. "aggregate"; part of the cache key and ETag. */
  name: string;
  /** The normalised question: part of the cache key, and echoed in a JSON answer's meta. */
  params: Record<string, unknown>;
  /**
   * A ClickHouse SELECT of the answer's rows, with every user value bound as a `{name:Type}` parameter and the
   * organisation filtered on. Deterministically ordered, with no LIMIT, FORMAT or SETTINGS clause: the runner adds them.
   */
  query: string;
  queryParams: Record<string, unknown>;
  /**
   * Pages it: the runner decodes the cursor (a 400 when it belongs to another question) and names the next page: JSON
   * in meta.nextCursor, null on the last; CSV and NDJSON pages send `X-Next-Cursor`.
   */
  page?: AnswerPage;
}

/** Answers a question in the negotiated format, with watermark, cache, ETag and 304. */
export type SendAnswer = (c: Context<AppEnv>, request: AnswerRequest) => Promise<Response>;

/** What the runner reads from. */
export interface SendAnswerDeps {
  ch: ClickHouseClient;
  watermark: () => Promise<Watermark>;
  cache: Cache;
  /** How long an unused answer stays cached, milliseconds. Default 10 minutes. */
  ttlMs?: number;
  /** Answers larger than this many characters are streamed without being cached. Default 4 MiB. */
  maxCachedChars?: number;
  /** Told of every answer whether it came from the cache. */
  onServed?: (hit: boolean) => void;
  logger?: Logger;
}

/** What a JSON answer's body ends with: meta, and the cursor when there is a next page. */
function jsonTail(meta: Record<string, unknown>, page: PagePlace | undefined, more: boolean): string {
  return `],"meta":${JSON.stringify(page === undefined ? meta : { ...meta, nextCursor: more ? page.nextCursor : null })}}`;
}

/** Where the asked page starts (a 400 for a cursor of another question) and its successor's cursor. */
function placeOf({ name, params, page }: AnswerRequest): PagePlace | undefined {
  if (page === undefined) return undefined;
  const offset = pageOffset(name, params, page.cursor);
  return { limit: page.limit, offset, nextCursor: pageCursor(name, params, offset + page.limit) };
}

/** The rows' text lines of a ClickHouse result, batch by batch, as the client reads them. */
async function* textBatches(result: ResultSet<"JSONEachRow" | "CSVWithNames">): AsyncGenerator<string[]> {
  for await (const rows of result.stream()) yield (rows as { text: string }[]).map((row) => row.text);
}

/**
 * The runner every analytics answer goes through. It negotiates the format (`?format=` over Accept), reads the
 * watermark first (the answer then holds at least what it says, so it may be cached under it), takes a page's cursor
 * only from the question it came from (see page-cursor.ts), tags the answer with a
 * weak ETag of organisation + question + processed offsets (If-None-Match → 304 before any query), and serves a cached
 * copy when there is one. Otherwise it asks ClickHouse for the rows in that format (JSONEachRow for JSON and NDJSON,
 * CSVWithNames for CSV) and streams them to the client as they come, keeping a copy for the cache when it is small
 * enough. A JSON body is `{"data":[rows],"meta":{...params, watermark, nextCursor}}`: meta comes last so the cursor is
 * known once the rows have passed (one row beyond the page is asked for and dropped). CSV and NDJSON carry no meta:
 * their pages always send `X-Next-Cursor`, and a page shorter than the limit is the last.
 */
export function createSendAnswer({
  ch,
  watermark,
  cache,
  ttlMs = 10 * 60_000,
  maxCachedChars = 4 << 20,
  onServed,
  logger,
}: SendAnswerDeps): SendAnswer {
  return async function sendAnswer(c, request) {
    const format = negotiateFormat(c.req.query("format"), c.req.header("accept"));
    const orgId = c.var.auth.orgId;
    const mark = await watermark();
    const page = placeOf(request);
    const { key, digest } = answerKey(
      {
        orgId,
        name: request.name,
        params: { params: request.params, format, page: page && [page.limit, page.offset] },
      },
      mark.processed,
    );
    // Weak: the rows are the same for one tag, while the watermark's end and lag in meta may have moved on.
    const tag = `W/"${digest}"`;
    c.header("ETag", tag);
    c.header("Cache-Control", "private, no-cache");
    c.header("Vary", "Accept");
    if (ifNoneMatchHolds(c.req.header("if-none-match"), tag)) return c.body(null, 304);
    c.header("Content-Type", ANSWER_MEDIA_TYPES[format]);
    const meta = { ...request.params, watermark: mark };

    const stored = await cache.get(key);
    if (stored !== undefined) {
      onServed?.(true);
      c.header("X-Cache", "hit");
      // A cached JSON answer is its rows' text after a flag saying whether a next page exists.
      if (format === "json") return c.body(`{"data":[${stored.slice(1)}${jsonTail(meta, page, stored[0] === "1")}`);
      if (page !== undefined) c.header("X-Next-Cursor", page.nextCursor);
      return c.body(stored.slice(1));
    }
    onServed?.(false);
    c.header("X-Cache", "miss");

    // JSON asks for one row more than the page, to know whether another page exists; CSV rows may span lines, so CSV
    // and NDJSON ask for the page alone and say a full page may continue.
    const rows = page === undefined ? undefined : format === "json" ? page.limit + 1 : page.limit;
    const limit = rows === undefined ? "" : "\nLIMIT {pageRows:UInt32} OFFSET {pageOffset:UInt64}";
    // A null is an empty unquoted CSV field (text is always quoted, so "" stays an empty string), not ClickHouse's \N.
    const settings = format === "csv" ? "\nSETTINGS format_csv_null_representation = ''" : "";
    const query = `${request.query}${limit}${settings}`;
    const result = await ch.query({
      query,
      query_params:
        rows === undefined ? request.queryParams : { ...request.queryParams, pageRows: rows, pageOffset: page!.offset },
      format: CLICKHOUSE_FORMATS[format],
    });

    const batches = textBatches(result);
    const encoder = new TextEncoder();
    let copy: string | undefined = "";
    let count = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (format === "json") controller.enqueue(encoder.encode(`{"data":[`));
      },
      async pull(controller) {
        try {
          const next = await batches.next();
          if (next.done) {
            const more = page !== undefined && count > page.limit;
            if (copy !== undefined) {
              cache
                .set(key, `${more ? "1" : "0"}${copy}`, ttlMs)
                .catch((error: unknown) =>
                  logger?.warn({ event: "answer_cache.set_failed", err: error }, "answer not cached"),
                );
            }
            if (format === "json") controller.enqueue(encoder.encode(jsonTail(meta, page, more)));
            controller.close();
            return;
          }
          let text: string;
          if (format === "json") {
            // JSONEachRow writes one row a line, so the look-ahead row is found by counting lines.
            const lines = page === undefined ? next.value : next.value.slice(0, Math.max(0, page.limit - count));
            text = lines.length === 0 ? "" : `${count > 0 ? "," : ""}${lines.join(",")}`;
            count += next.value.length;
          } else {
            text = `${next.value.join("\n")}\n`;
          }
          if (copy !== undefined) copy = copy.length + text.length <= maxCachedChars ? copy + text : undefined;
          if (text !== "") controller.enqueue(encoder.encode(text));
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        await batches.return(undefined);
        result.close();
      },
    });
    // A CSV or NDJSON page is sent before its rows are counted, so it always names its successor; a page shorter than
    // the limit is the last.
    if (page !== undefined && format !== "json") c.header("X-Next-Cursor", page.nextCursor);
    return c.body(body);
  };
}
