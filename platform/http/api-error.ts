import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error code an HTTP client can see, with its status and what it means. */
export const ERROR_CODES = {
  unauthorized: { status: 401, description: "No API key, or the key is unknown or revoked." },
  forbidden: { status: 403, description: "The API key lacks the scope this route needs." },
  not_found: { status: 404, description: "No such resource in the caller's organisation." },
  invalid_request: { status: 400, description: "Query parameters or body failed validation; details name each problem." },
  invalid_events: { status: 400, description: "No event in the request was valid; details list every violation." },
  not_acceptable: { status: 406, description: "The Accept header names no format the route can answer in; details list them." },
  unsupported_media_type: { status: 415, description: "The Content-Type is not one the route accepts." },
  payload_too_large: { status: 413, description: "The body exceeds the size or event-count limit." },
  not_ready: { status: 409, description: "The resource exists but is not ready yet (e.g. a report still running)." },
  log_unavailable: { status: 503, description: "The event log cannot take more right now; retry after Retry-After seconds." },
  internal_error: { status: 500, description: "An unexpected failure; the log carries the details." },
} as const satisfies Record<string, { status: ContentfulStatusCode; description: string }>;

/** A stable error code from the registry. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error body shape of the HTTP API. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** An error meant for the HTTP client; the app's onError turns it into an ErrorBody. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The HTTP status of this error's code. */
  get status(): ContentfulStatusCode {
    return ERROR_CODES[this.code].status;
  }

  /** The JSON body sent to the client. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}
