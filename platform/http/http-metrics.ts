import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AppEnv } from "./app-env.ts";

/** What /metrics reports and how the app feeds it. */
export interface HttpMetrics {
  /** Counts every request and times it, labelled by method, the route's pattern (never the raw path) and status. */
  middleware: MiddlewareHandler<AppEnv>;
  /** Records whether an analytics answer came from the answer cache. */
  answerServed(hit: boolean): void;
  /** The Prometheus text exposition of every metric, and its content type. */
  render(): Promise<{ body: string; contentType: string }>;
}

/** The accepted events not processed yet, as one scrape reads them. */
export interface Backlog {
  /** How many there are. */
  lag: number;
  /** Age of the oldest of them, seconds (0 when none waits). */
  oldestUnprocessedAgeSeconds: number;
}

/** Reads the backlog from the stores; called once per scrape, for both gauges. */
export type ReadBacklog = () => Promise<Backlog>;

/** Reads the dead letters waiting for a redrive, by reason, from the stores; called once per scrape. */
export type ReadDeadLetters = () => Promise<ReadonlyMap<string, number>>;

/** What /metrics reads of this process's processors at each scrape. */
export interface ProcessingReadings {
  /** This process's processing failures so far, by reason. */
  failuresByReason(): ReadonlyMap<string, number>;
  /** The events of the batches this process has committed so far, by outcome and reason (empty for ok). */
  eventsByOutcome(): Iterable<{ outcome: string; reason: string; events: number }>;
}

/**
 * The app's Prometheus metrics, in a registry of its own (so two apps in one process, as in the tests, never share
 * counters): the process's memory, CPU, event loop delay and GC, request rate and latency per route, answer cache hits and misses, the processors' backlog (lag and the age of
 * its oldest event), where a reader is given the pending dead letters by reason, and, where processing readings are
 * given, failures and events by outcome.
 */
export function createHttpMetrics({
  readBacklog,
  readDeadLetters,
  processing,
}: {
  readBacklog: ReadBacklog;
  readDeadLetters?: ReadDeadLetters;
  processing?: ProcessingReadings;
}): HttpMetrics {
  const registry = new Registry();
  // The process's own: resident memory, heap and external memory, event loop delay, GC time, CPU. Resident memory counts
  // every thread (the PGlite worker's too) and the store files mapped in.
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "wedsync_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "wedsync_http_request_duration_seconds",
    help: "Time from a request's arrival to its response, by method and route pattern.",
    labelNames: ["method", "route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const answers = new Counter({
    name: "wedsync_answer_cache_requests_total",
    help: "Analytics answers served, by whether the answer cache held them (result=hit|miss).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  // Both results exist from the start, so a hit ratio is defined (0) before the first miss.
  answers.inc({ result: "hit" }, 0);
  answers.inc({ result: "miss" }, 0);
  // Both backlog gauges are set from one reading of the stores per scrape (see render).
  const lag = new Gauge({
    name: "wedsync_consumer_lag_events",
    help: "Events accepted into the log and not yet processed, read at scrape time.",
    registers: [registry],
  });
  const oldestAge = new Gauge({
    name: "wedsync_processor_oldest_unprocessed_event_age_seconds",
    help: "Age of the oldest accepted event not yet processed (0 when none waits), read at scrape time.",
    registers: [registry],
  });
  // Set from one reading of the stores per scrape (see render). A reason once seen keeps its series, at 0 when no dead
  // letter of it waits any more, so that a redrive shows as the count falling rather than as the series vanishing.
  const deadLetters =
    readDeadLetters &&
    new Gauge({
      name: "wedsync_processor_dead_letters",
      help: "Dead letters waiting for a redrive, by reason (one with several reasons counts under each), read at scrape time.",
      labelNames: ["reason"] as const,
      registers: [registry],
    });
  const deadLetterReasons = new Set<string>();
  if (processing) {
    new Counter({
      name: "wedsync_processor_failures_total",
      help: "Failures while processing batches in this process, by reason: <store>_refused when a store refused an event (it is then dead-lettered), else why the batch was retried.",
      labelNames: ["reason"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, count] of processing.failuresByReason()) this.inc({ reason }, count);
      },
    });
    new Counter({
      name: "wedsync_processor_events_total",
      help: "Events of the batches committed in this process, each once, by outcome (ok, flagged, dropped, dead_lettered) and the reason that decided it: a drop or dead-letter reason code, an anomaly kind; empty for ok.",
      labelNames: ["outcome", "reason"] as const,
      registers: [registry],
      collect() {
        this.reset();
        // Exists from the start, so a rate of processed events is defined (0) before the first batch.
        this.inc({ outcome: "ok", reason: "" }, 0);
        for (const { outcome, reason, events } of processing.eventsByOutcome()) this.inc({ outcome, reason }, events);
      },
    });
  }

  return {
    async middleware(c, next) {
      const started = performance.now();
      try {
        await next();
      } finally {
        // The last matched route's pattern (e.g. /v1/reports/:id): bounded, and free of ids.
        const route = routePath(c, -1) || "unmatched";
        const labels = { method: c.req.method, route };
        requests.inc({ ...labels, status: String(c.res.status) });
        duration.observe(labels, (performance.now() - started) / 1000);
      }
    },
    answerServed(hit) {
      answers.inc({ result: hit ? "hit" : "miss" });
    },
    async render() {
      const [backlog, pending] = await Promise.all([readBacklog(), readDeadLetters?.()]);
      lag.set(backlog.lag);
      oldestAge.set(backlog.oldestUnprocessedAgeSeconds);
      if (deadLetters && pending) {
        for (const reason of pending.keys()) deadLetterReasons.add(reason);
        for (const reason of deadLetterReasons) deadLetters.set({ reason }, pending.get(reason) ?? 0);
      }
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}
