import type { ContentfulStatusCode } from "hono/utils/http-status";

/** What the registry says of one error code. */
export interface ErrorCodeEntry {
  /** The HTTP status of an answer carrying the code; absent for codes no answer carries (an HTTP client sees those as `internal_error`). */
  status?: ContentfulStatusCode;
  /** Whether trying the same thing again, unchanged, may succeed later. */
  retriable: boolean;
  /** What the code means, for the OpenAPI document and for whoever reads the log. */
  description: string;
}

/**
 * Every error code of the product, the one registry of WedSyncError and ApiError. The codes with a status are those an
 * HTTP answer can carry (the OpenAPI ErrorBody lists exactly these); the others stay inside the process, and a
 * request that meets one is answered `internal_error`. `retriable` is each code's default: an error may say otherwise
 * when it knows better (a store that cannot be opened at start-up is not worth retrying).
 */
export const ERROR_CODES = {
  // Answered over HTTP.
  unauthorized: { status: 401, retriable: false, description: "No API key, or the key is unknown or revoked." },
  forbidden: {
    status: 403,
    retriable: false,
    description: "The API key lacks the scope this route needs; details name the scope needed and the key's scopes.",
  },
  not_found: { status: 404, retriable: false, description: "No such resource in the caller's organisation." },
  invalid_request: {
    status: 400,
    retriable: false,
    description: "Query parameters or body failed validation; details name each problem.",
  },
  invalid_events: {
    status: 400,
    retriable: false,
    description: "No event in the request was valid; details list every violation.",
  },
  not_acceptable: {
    status: 406,
    retriable: false,
    description: "The Accept header names no format the route can answer in; details list them.",
  },
  unsupported_media_type: {
    status: 415,
    retriable: false,
    description: "The Content-Type is not one the route accepts.",
  },
  payload_too_large: { status: 413, retriable: false, description: "The body exceeds the size or event-count limit." },
  not_ready: {
    status: 409,
    retriable: true,
    description: "The resource exists but is not ready yet (e.g. a report still running).",
  },
  too_many_streams: {
    status: 429,
    retriable: true,
    description: "The organisation already has the most live feed connections allowed; close one first.",
  },
  rate_limited: {
    status: 429,
    retriable: true,
    description:
      "The organisation used up its tier's request quota for the current window; retry after Retry-After seconds.",
  },
  log_unavailable: {
    status: 503,
    retriable: true,
    description: "The event log cannot take more right now; retry after Retry-After seconds.",
  },
  internal_error: { status: 500, retriable: false, description: "An unexpected failure; the log carries the details." },

  // Inside the process only.
  infrastructure_error: {
    retriable: true,
    description: "A store or the log could not be reached, or failed mid-operation.",
  },
  offsets_ahead_of_log: {
    retriable: false,
    description:
      "Postgres holds offsets (processed, or a range left pending by a crash) beyond the end of the log: the database and the log do not belong together, or the log lost records. The processor stops.",
  },
  partition_taken_over: {
    retriable: true,
    description:
      "Another processor of the group moved a partition's offset in Postgres past the batch this one was writing: the partition was handed over (a rebalance). The batch is dropped uncommitted and the processor rejoins the group.",
  },
  invalid_argument: {
    retriable: false,
    description: "An adapter was given an unusable argument (a batch size, a partition count, a name).",
  },
  unknown_partition: { retriable: false, description: "A topic has no partition of that number." },
  topic_misconfigured: {
    retriable: false,
    description:
      "The events topic exists with settings that contradict the log's: another partition count than LOG_PARTITIONS, a retention limit, or compaction.",
  },
  consumer_group_busy: {
    retriable: false,
    description: "The consumer group already consumes the topic in this process.",
  },
  log_record_unreadable: {
    retriable: false,
    description: "An event log record is in a format this version cannot read.",
  },
  dedup_record_unreadable: {
    retriable: false,
    description: "A dedup journal record is in a format this version cannot read.",
  },
  sql_transaction_closed: {
    retriable: false,
    description: "A statement was sent on a transaction's handle after the transaction ended.",
  },
  sql_client_used_in_transaction: {
    retriable: false,
    description:
      "The PGlite client itself was used inside a transaction callback, which would deadlock; use the transaction's handle.",
  },
  migration_invalid: { retriable: false, description: "The migration files are inconsistent (two share a version)." },
  migration_failed: {
    retriable: false,
    description: "A migration statement failed; details name the file and the statement.",
  },
  clickhouse_setting_invalid: { retriable: false, description: "A ClickHouse setting name is not a plain identifier." },
  invalid_month: { retriable: false, description: "A report month is not a YYYY-MM month." },
  reports_closed: { retriable: false, description: "The report job runner is closed." },
  export_aborted: {
    retriable: false,
    description: "The destination of an export closed before the export was complete (a client gave up on a download).",
  },
} as const satisfies Record<string, ErrorCodeEntry>;

/** A stable error code from the registry. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** A code an HTTP answer can carry: one with a status. */
export type HttpErrorCode = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C] extends { status: ContentfulStatusCode } ? C : never;
}[ErrorCode];

/** Every code an HTTP answer can carry, in registry order. */
export const HTTP_ERROR_CODES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
  (code): code is HttpErrorCode => "status" in ERROR_CODES[code],
) as [HttpErrorCode, ...HttpErrorCode[]];

/** The HTTP status of an answer carrying code. */
export function httpStatusOf(code: HttpErrorCode): ContentfulStatusCode {
  return ERROR_CODES[code].status;
}
