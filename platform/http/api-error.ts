import type { ContentfulStatusCode } from "hono/utils/http-status";
import { httpStatusOf, type HttpErrorCode } from "../error-codes.ts";
import { WedSyncError } from "../errors.ts";

/** The one error body shape of the HTTP API. */
export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; details?: unknown };
}

/** An error meant for the HTTP client, under a code of the registry that has a status; the app's onError turns it into an ErrorBody. */
export class ApiError extends WedSyncError {
  declare readonly code: HttpErrorCode;

  constructor(
    code: HttpErrorCode,
    message: string,
    details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, { details });
  }

  /** The HTTP status of this error's code. */
  get status(): ContentfulStatusCode {
    return httpStatusOf(this.code);
  }

  /** The JSON body sent to the client. */
  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}
