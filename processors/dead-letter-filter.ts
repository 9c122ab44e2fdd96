/** What a reason code looks like (schema_invalid, store_refused, …): what a filter by reason takes. */
export const REASON_CODE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Which dead letters a listing or a redrive by filter means; each field absent means any. */
export interface DeadLetterFilter {
  /** One reason code; a dead letter with several reasons matches any of them. */
  reason?: string;
  /** The event type as read from the payload. */
  type?: string;
  /** First UTC day the event was received, YYYY-MM-DD, inclusive. */
  from?: string;
  /** Last UTC day the event was received, YYYY-MM-DD, inclusive. */
  to?: string;
}

/**
 * The conditions of a filter on `dead_letters`, bound as the parameters $first … $first+3 (see deadLetterFilterParams):
 * the days are pinned to UTC whatever the session's time zone.
 */
export function deadLetterFilterSql(first: number): string {
  const [reason, type, from, to] = [first, first + 1, first + 2, first + 3].map((n) => `$${n}`);
  return `(${reason}::text IS NULL OR ${reason}::text = ANY (reasons))
      AND (${type}::text IS NULL OR event_type = ${type}::text)
      AND (${from}::date IS NULL OR received_at >= (${from}::date)::timestamp AT TIME ZONE 'UTC')
      AND (${to}::date IS NULL OR received_at < (${to}::date + 1)::timestamp AT TIME ZONE 'UTC')`;
}

/** The values of deadLetterFilterSql's parameters, in its order. */
export function deadLetterFilterParams(filter: DeadLetterFilter): unknown[] {
  return [filter.reason ?? null, filter.type ?? null, filter.from ?? null, filter.to ?? null];
}
