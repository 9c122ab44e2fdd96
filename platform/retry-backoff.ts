/** How a retried operation waits between attempts: exponentially longer after each failure, up to a cap. */
export interface Backoff {
  /** The longest wait before the first retry, ms; each further retry doubles it. */
  firstMs: number;
  /** The longest wait before any retry, ms. */
  maxMs: number;
}

/**
 * The wait before retry number `retry` (1 for the first), ms: uniformly random between 0 and
 * min(maxMs, firstMs × 2^(retry − 1)). This is "full jitter" (Brooker, "Exponential Backoff And Jitter", AWS
 * Architecture Blog, 2015): the ceiling grows exponentially so a lasting outage is not hammered, and the whole range
 * below it is used so that callers failing together (every processor of a group when Postgres goes away, a burst of
 * report runs) do not retry together. The one backoff of the product: the processor runtime's restarts and the report
 * jobs' retries use it, each with its own named Backoff.
 */
export function backoffDelayMs(backoff: Backoff, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.max(0, retry - 1));
  return random() * ceiling;
}
