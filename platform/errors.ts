import { ERROR_CODES, type ErrorCode } from "./error-codes.ts";

/** Options every WedSync error accepts. */
export interface ErrorOptions {
  cause?: unknown;
  /** Overrides the registry's default for the code, when the thrower knows better. */
  retriable?: boolean;
  details?: unknown;
}

/**
 * Base of every error this product throws, ApiError included: a stable code from the one registry (error-codes.ts), a
 * retriable flag (the code's default unless the thrower says otherwise) and a cause.
 */
export class WedSyncError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.details = options.details;
  }
}

/**
 * Whether trying again may help: anything but an error the product marked as not retriable. An error of unknown
 * origin (a driver's, a library's) is presumed to be passing.
 */
export function isRetriable(error: unknown): boolean {
  return !(error instanceof WedSyncError) || error.retriable;
}

/** A store or the log could not be reached or failed mid-operation; usually worth a retry. */
export class InfrastructureError extends WedSyncError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("infrastructure_error", message, options);
  }
}

/** The event log cannot take more right now; callers should answer 503 with Retry-After. */
export class LogUnavailableError extends WedSyncError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("log_unavailable", message, options);
  }
}

/**
 * A processor's batch no longer follows its partition's offset in Postgres: another member of the group took the
 * partition over and committed past it. Retriable: the processor restarts and resumes from Postgres's offsets.
 */
export class PartitionTakenOverError extends WedSyncError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("partition_taken_over", message, options);
  }
}

/**
 * Postgres remembers offsets of a partition (processed, or a range left pending by a crash) that the log does not
 * hold: the two stores belong to different installations, or the log lost records. Fatal: no retry can bring them
 * back, so the processor stops rather than restarting on it for ever.
 */
export class OffsetsAheadOfLogError extends WedSyncError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("offsets_ahead_of_log", message, options);
  }
}
