/**
 * Wakes consumers when a topic gets new records, so a caught-up consumer waits instead of polling hard.
 * A per-topic version counter closes the race between "read found nothing" and "start waiting": the
 * consumer takes the version before it reads and waits only while the version is unchanged.
 */
export interface AppendSignal {
  /** A number that changes with every append to the topic made in this process. */
  version(topic: string): number;
  /** Records that the topic got new records and wakes its waiters. */
  notify(topic: string): void;
  /** Resolves once the topic's version differs from `since`, after `timeoutMs`, or when `abort` fires. */
  wait(topic: string, since: number, timeoutMs: number, abort: AbortSignal): Promise<void>;
}

/** Creates an in-process append signal. */
export function createAppendSignal(): AppendSignal {
  const versions = new Map<string, number>();
  const waiters = new Map<string, Set<() => void>>();

  function version(topic: string): number {
    return versions.get(topic) ?? 0;
  }

  function notify(topic: string): void {
    versions.set(topic, version(topic) + 1);
    const woken = waiters.get(topic);
    if (!woken) return;
    waiters.delete(topic);
    for (const wake of woken) wake();
  }

  function wait(topic: string, since: number, timeoutMs: number, abort: AbortSignal): Promise<void> {
    if (version(topic) !== since || abort.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        abort.removeEventListener("abort", wake);
        waiters.get(topic)?.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      abort.addEventListener("abort", wake, { once: true });
      let topicWaiters = waiters.get(topic);
      if (!topicWaiters) {
        topicWaiters = new Set();
        waiters.set(topic, topicWaiters);
      }
      topicWaiters.add(wake);
    });
  }

  return { version, notify, wait };
}
