/** Options every WedSync error accepts. */
export interface ErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  details?: unknown;
}

/** Base of every error this product throws: a stable code, a retriable flag and a cause. */
export class WedSyncError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly details: unknown;

  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }
}

/** A store or the log could not be reached or failed mid-operation; usually worth a retry. */
export class InfrastructureError extends WedSyncError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("infrastructure_error", message, { retriable: true, ...options });
  }
}

/** The event log cannot take more right now; callers should answer 503 with Retry-After. */
export class LogUnavailableError extends WedSyncError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("log_unavailable", message, { retriable: true, ...options });
  }
}
