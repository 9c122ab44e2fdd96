import type { HttpBindings } from "@hono/node-server";
import { createRoute } from "@hono/zod-openapi";
import { Hono, type ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { UnofficialStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { ERROR_CODES, httpStatusOf, type HttpErrorCode } from "../error-codes.ts";
import { LogUnavailableError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { TierRateLimiter } from "../rate-limit/tier-rate-limiter.ts";
import type { Authenticator } from "../tenants/authenticate.ts";
import type { Scope } from "../tenants/key-access.ts";
import { ApiError } from "./api-error.ts";
import { createApiReference } from "./api-reference.ts";
import type { AppEnv } from "./app-env.ts";
import { requireApiKey } from "./auth-middleware.ts";
import { createRouter, type Router } from "./create-router.ts";
import type { HttpMetrics } from "./http-metrics.ts";
import { limitRequestRate } from "./limit-request-rate.ts";
import { API_INFO, PUBLIC } from "./openapi.ts";
import { requireScope } from "./require-scope.ts";

/** The registry code of the statuses Hono's own HTTPExceptions carry. */
const HTTP_STATUS_CODES: Partial<Record<number, HttpErrorCode>> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

const Health = z.object({ status: z.enum(["ready", "not_ready"]), checks: z.record(z.string(), z.string()) });

const livenessRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["Operations"],
  operationId: "liveness",
  summary: "Liveness: the process answers",
  ...PUBLIC,
  responses: {
    200: {
      description: "The process is up.",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }), example: { status: "ok" } } },
    },
  },
});

const readinessRoute = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["Operations"],
  operationId: "readiness",
  summary: "Readiness: every store answers and the processor moves",
  ...PUBLIC,
  responses: {
    200: {
      description:
        "Postgres, ClickHouse and the event log answer, and (in a process running the processor) no partition has had events waiting without a commit for longer than PROCESSOR_STALL_SECONDS.",
      content: {
        "application/json": {
          schema: Health,
          example: { status: "ready", checks: { postgres: "ok", clickhouse: "ok", log: "ok", processor: "ok" } },
        },
      },
    },
    503: {
      description: "A store does not answer, or the processor is stalled; `checks` says which and why.",
      content: {
        "application/json": {
          schema: Health,
          example: { status: "not_ready", checks: { postgres: "ok", clickhouse: "ok", log: "connect ECONNREFUSED" } },
        },
      },
    },
  },
});

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["Operations"],
  operationId: "metrics",
  summary: "Prometheus metrics",
  description:
    "The process's resident memory, heap, CPU, event loop delay and GC time (Prometheus's standard process and Node.js metrics), request rate and latency per route, answer-cache hits and misses, the processors' consumer lag, the age of the oldest unprocessed event, the dead letters waiting for a redrive by reason, processing failures by reason and processed events by outcome and reason, in the Prometheus text format.",
  ...PUBLIC,
  responses: {
    200: {
      description: "The Prometheus text exposition.",
      content: {
        "text/plain": {
          schema: z.string(),
          example:
            "# HELP wedsync_consumer_lag_events Accepted events not yet processed.\n# TYPE wedsync_consumer_lag_events gauge\nwedsync_consumer_lag_events 0\n",
        },
      },
    },
  },
});

/**
 * A sub-app mounted under /v1 behind API-key authentication; every route it declares needs `scope`. (A wildcard
 * middleware of the sub-app, `use("*")`, is merged by Hono as `<path>/*`, so it and the scope check cover every route
 * under path, including other mounts': routers sharing a prefix such as /v1 should not declare one.)
 */
export interface Mount {
  path: string;
  app: Router;
  scope: Scope;
}

/** Health probes: liveness is the process answering, readiness is the stores answering. */
export interface HealthChecks {
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

/**
 * The one HTTP app of the product: health probes and Prometheus metrics (every request counted and timed), the OpenAPI
 * document of every route at /openapi.json and a browsable reference at /docs, then every /v1 route behind API-key
 * auth, the tier's rate limit and its mount's scope, with every error turned into the one body shape
 * `{ error: { code, message, details? } }` here.
 */
export function createHttpApp({
  authenticate,
  rateLimiter,
  mounts,
  health,
  metrics,
  logger,
}: {
  authenticate: Authenticator;
  rateLimiter: TierRateLimiter;
  mounts: Mount[];
  health: HealthChecks;
  metrics: HttpMetrics;
  logger: Logger;
}) {
  const app = createRouter();
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key of the organisation, e.g. `wsk_…`, as issued by `wedsync org:create` or the admin routes.",
  });
  app.use("*", metrics.middleware);
  // Hono answers HEAD by running the GET handler and dropping its body unread. A body that is a stream (a live feed
  // subscription, a ClickHouse result, a file, an export being written) would then hold what it holds for good, so it
  // is cancelled here, which runs its cleanup as a client going away would.
  app.use("*", async (c, next) => {
    await next();
    if (c.req.method === "HEAD") await c.res.body?.cancel();
  });
  app.openapi(metricsRoute, async (c) => {
    const { body, contentType } = await metrics.render();
    return c.text(body, 200, { "Content-Type": contentType });
  });
  app.openapi(livenessRoute, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(readinessRoute, async (c) => {
    const { ok, checks } = await health.ready();
    return ok
      ? c.json({ status: "ready" as const, checks }, 200)
      : c.json({ status: "not_ready" as const, checks }, 503);
  });
  app.doc31("/openapi.json", API_INFO);
  app.route("/docs", createApiReference({ documentUrl: "/openapi.json", base: "/docs" }));
  // The rate limit needs the key's organisation and tier, so it runs after authentication; it counts requests a scope
  // then refuses too, which is what they cost.
  app.use("/v1/*", requireApiKey(authenticate), limitRequestRate({ limiter: rateLimiter, logger }));
  for (const { path, app: sub, scope } of mounts) {
    // The scope check is registered for exactly the routes the sub-app declares, ahead of their handlers: a mount
    // cannot forget it, and mounts sharing a prefix (the analytics router sits at /v1 beside /v1/events) keep theirs.
    const guard = new Hono<AppEnv>();
    const check = requireScope(scope);
    for (const route of sub.routes) guard.on(route.method, route.path, check);
    app.route(path, guard);
    app.route(path, sub);
  }

  app.notFound((c) => c.json(new ApiError("not_found", `no route ${c.req.method} ${c.req.path}`).toBody(), 404));
  app.onError(createErrorHandler(logger));
  return app;
}

/** The status a request is counted under when its client went away before the answer (nginx's "client closed request"). */
const CLIENT_CLOSED_REQUEST = 499 as UnofficialStatusCode;

/**
 * The one place errors become responses, by class: ApiErrors as they say, Hono's own client errors (a JSON body that is
 * not JSON) under the registry code of their status, an unavailable log (LogUnavailableError) as 503 + Retry-After, a
 * client gone before the answer as one warning, anything else as a logged 500 `internal_error` (a WedSyncError of a
 * code without a status included: such codes stay inside the process).
 */
export function createErrorHandler(logger: Logger): ErrorHandler {
  return function renderError(error, c) {
    // The client went away before the answer: it aborted an upload mid-body, its connection was reset, or it sent too
    // slowly and the server's request timeout cut it off (then the server already answered 408). What failed here is
    // reading a body that will never arrive; nobody reads this response, and any client can cause it at will, so it is
    // one warning, not an error with a stack. (The server aborts the request's signal when the connection closes early.)
    if (c.req.raw.signal.aborted) {
      // What ended the connection, as Node's socket reports it: ECONNRESET, ERR_HTTP_REQUEST_TIMEOUT, a parse error on a
      // body cut short. Absent when the app is called without a server, as tests do.
      const cause = (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket?.errored ?? error;
      logger.warn(
        {
          event: "http.client_aborted",
          method: c.req.method,
          path: c.req.path,
          cause: (cause as { code?: string }).code ?? cause.message,
        },
        "client went away before the answer",
      );
      return c.body(null, CLIENT_CLOSED_REQUEST);
    }
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(error.toBody(), error.status);
    }
    // Hono's own client errors: a body that is not JSON, or not of the declared media type, refused before zod sees it.
    const mapped = error instanceof HTTPException ? HTTP_STATUS_CODES[error.status] : undefined;
    if (mapped) {
      const message = error.message || ERROR_CODES[mapped].description;
      return c.json(new ApiError(mapped, message, [{ path: "$", message }]).toBody(), httpStatusOf(mapped));
    }
    if (error instanceof LogUnavailableError) {
      // The producer learns only to retry; the operator needs the reason (a closed log, a full disk, a lost broker).
      logger.warn({ event: "http.log_unavailable", err: error, path: c.req.path }, error.message);
      c.header("Retry-After", "5");
      return c.json(
        new ApiError("log_unavailable", "the event log cannot take more right now").toBody(),
        httpStatusOf("log_unavailable"),
      );
    }
    logger.error(
      { event: "http.unhandled_error", err: error, method: c.req.method, path: c.req.path },
      "unhandled error",
    );
    return c.json(new ApiError("internal_error", "internal error").toBody(), 500);
  };
}
