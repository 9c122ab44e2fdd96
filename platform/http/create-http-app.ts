import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../logger.ts";
import type { TierRateLimiter } from "../rate-limit/tier-rate-limiter.ts";
import type { Authenticator } from "../tenants/authenticate.ts";
import type { Scope } from "../tenants/key-access.ts";
import { ApiError, ERROR_CODES, type ErrorCode } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { requireApiKey } from "./auth-middleware.ts";
import type { HttpMetrics } from "./http-metrics.ts";
import { limitRequestRate } from "./limit-request-rate.ts";
import { requireScope } from "./require-scope.ts";

/**
 * A sub-app mounted under /v1 behind API-key authentication; every route it declares needs `scope`. (A wildcard
 * middleware of the sub-app, `use("*")`, is merged by Hono as `<path>/*`, so it and the scope check cover every route
 * under path, including other mounts': routers sharing a prefix such as /v1 should not declare one.)
 */
export interface Mount {
  path: string;
  app: Hono<AppEnv>;
  scope: Scope;
}

/** The registry's code for each status Hono's own validators and middleware throw (HTTPException) with. */
const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** Health probes: liveness is the process answering, readiness is the stores answering. */
export interface HealthChecks {
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

/**
 * The one HTTP app of the product: health probes and Prometheus metrics (every request counted and timed), then every
 * /v1 route behind API-key auth, the tier's rate limit and its mount's scope, with every error turned into the one body
 * shape `{ error: { code, message, details? } }` here.
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
  const app = new Hono<AppEnv>();
  app.use("*", metrics.middleware);
  app.get("/metrics", async (c) => {
    const { body, contentType } = await metrics.render();
    c.header("Content-Type", contentType);
    return c.body(body);
  });
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const { ok, checks } = await health.ready();
    return c.json({ status: ok ? "ready" : "not_ready", checks }, ok ? 200 : 503);
  });
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
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(error.toBody(), error.status);
    }
    // A body that is not JSON, or not of the declared media type, is refused by Hono's validator before zod sees it.
    const mapped = error instanceof HTTPException ? HTTP_EXCEPTION_CODES[error.status] : undefined;
    if (mapped) return c.json(new ApiError(mapped, error.message, [{ path: "$", message: error.message }]).toBody(), ERROR_CODES[mapped].status);
    const code = (error as { code?: unknown }).code;
    if (code === "log_unavailable") {
      c.header("Retry-After", "5");
      return c.json(new ApiError("log_unavailable", "the event log cannot take more right now").toBody(), ERROR_CODES.log_unavailable.status);
    }
    logger.error({ event: "http.unhandled_error", err: error, method: c.req.method, path: c.req.path }, "unhandled error");
    return c.json(new ApiError("internal_error", "internal error").toBody(), 500);
  });
  return app;
}
