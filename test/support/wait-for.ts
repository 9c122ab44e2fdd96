/** How long and how often waitFor polls, and what it says when it gives up. */
export interface WaitForOptions {
  /** Give up after this many milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Poll every this many milliseconds. Default 20. */
  intervalMs?: number;
  /** The message of the error a timeout rejects with. */
  message?: string;
}

/**
 * Polls predicate until it returns a truthy value, which it resolves with. A predicate that throws counts as not yet;
 * on timeout the promise rejects with `message`, the last thrown error as its cause.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 20, message = "condition not met" }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${message} (waited ${timeoutMs} ms)`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
