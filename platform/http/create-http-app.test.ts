import path from "node:path";
import { Writable } from "node:stream";
import { Hono } from "hono";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPglite } from "../../test/support/pglite-template.ts";
import { makeTempDir, type TempDir } from "../../test/support/temp-dir.ts";
import { InfrastructureError, LogUnavailableError, OffsetsAheadOfLogError } from "../errors.ts";
import { createLogger, type Logger } from "../logger.ts";
import { parseTierLimits } from "../rate-limit/tier-limits.ts";
import { createTierRateLimiter, type TierRateLimiter } from "../rate-limit/tier-rate-limiter.ts";
import type { SqlClient } from "../sql/sql-client.ts";
import { createAuthenticator } from "../tenants/authenticate.ts";
import type { Scope } from "../tenants/key-access.ts";
import { createOrganisation } from "../tenants/organisations.ts";
import { createErrorHandler, createHttpApp } from "./create-http-app.ts";
import { createRouter } from "./create-router.ts";
import { createHttpMetrics } from "./http-metrics.ts";

const redisUrl = process.env.REDIS_URL;

if (redisUrl === undefined) {
  console.info("create-http-app: REDIS_URL is not set, skipping the test of a rate limiter whose Redis is gone");
}

let dir: TempDir;
let sql: SqlClient;

beforeAll(async () => {
  dir = await makeTempDir("wedsync-http-app");
  sql = await createTestPglite(path.join(dir.path, "pg"));
});

afterAll(async () => {
  await sql?.close();
  await dir?.cleanup();
});

/** The app with two mounts sharing the /v1 prefix, as the product's analytics router and /v1/events do. */
function appWith(rateLimiter: TierRateLimiter, logger: Logger = createLogger("silent")) {
  const things = createRouter();
  things
    .get("/things", (c) => c.json({ org: c.var.auth.orgId }))
    .get("/things/:id", (c) => c.json({ id: c.req.param("id") }));
  const events = createRouter();
  events.post("/", (c) => c.json({ ok: true }, 202));
  return createHttpApp({
    authenticate: createAuthenticator(sql),
    rateLimiter,
    mounts: [
      { path: "/v1", scope: "read", app: things },
      { path: "/v1/events", scope: "ingest", app: events },
    ],
    health: { ready: async () => ({ ok: true, checks: {} }) },
    metrics: createHttpMetrics({ readBacklog: async () => ({ lag: 0, oldestUnprocessedAgeSeconds: 0 }) }),
    logger,
  });
}

const keyWith = async (scopes: Scope[], tier: "free" | "professional" = "professional") =>
  (await createOrganisation(sql, "HTTP App Test", { scopes, tier })).apiKey;
const get = (app: ReturnType<typeof appWith>, url: string, apiKey: string, init: RequestInit = {}) =>
  app.request(url, { ...init, headers: { authorization: `Bearer ${apiKey}` } });

describe("createHttpApp", () => {
  it("holds every route of a mount to the mount's scope, also where mounts share a prefix", async () => {
    const limiter = await createTierRateLimiter({ limits: parseTierLimits("") });
    const app = appWith(limiter);
    const ingestOnly = await keyWith(["ingest"]);
    const readOnly = await keyWith(["read"]);

    for (const url of ["/v1/things", "/v1/things/42"]) {
      const refused = await get(app, url, ingestOnly);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({
        error: {
          code: "forbidden",
          message: "this route needs an API key with the 'read' scope; this key has: ingest",
          details: { needed: "read", granted: ["ingest"] },
        },
      });
      expect((await get(app, url, readOnly)).status).toBe(200);
    }
    expect((await get(app, "/v1/events", ingestOnly, { method: "POST" })).status).toBe(202);
    const refused = await get(app, "/v1/events", readOnly, { method: "POST" });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: "forbidden", details: { needed: "ingest", granted: ["read"] } },
    });
    // No route, no scope to check: still the 404 of the one error shape.
    expect((await get(app, "/v1/nowhere", readOnly)).status).toBe(404);
  });

  it("answers 429 rate_limited with Retry-After once an organisation used its tier's quota", async () => {
    const limiter = await createTierRateLimiter({ limits: parseTierLimits("free=2/min") });
    const app = appWith(limiter);
    const apiKey = await keyWith(["read"], "free");
    for (const remaining of ["1", "0"]) {
      const res = await get(app, "/v1/things", apiKey);
      expect(res.status).toBe(200);
      expect([res.headers.get("ratelimit-limit"), res.headers.get("ratelimit-remaining")]).toEqual(["2", remaining]);
    }
    const refused = await get(app, "/v1/things", apiKey);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(refused.headers.get("ratelimit-reset")).toBe(String(retryAfter));
    expect(await refused.json()).toEqual({
      error: {
        code: "rate_limited",
        message: `the organisation used its free tier's 2 requests per 60 s; retry in ${retryAfter} s`,
        details: { tier: "free", limit: 2, windowSeconds: 60, retryAfterSeconds: retryAfter },
      },
    });
    // Unauthenticated requests are refused before they are counted: nobody can spend an organisation's quota.
    expect((await app.request("/v1/things")).status).toBe(401);
  });

  it("lets requests through with one warning while the limiter's store fails", async () => {
    // A limiter whose store is down, as the Redis one reports it (the Redis case itself is tested below).
    const down: TierRateLimiter = {
      consume: async () => {
        throw new InfrastructureError("redis unavailable: Connection is closed.");
      },
      close: async () => {},
    };
    const lines: string[] = [];
    const logger = pino(
      { level: "warn" },
      new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }),
    );
    const app = appWith(down, logger);
    const apiKey = await keyWith(["read"], "free");
    for (let i = 0; i < 3; i++) expect((await get(app, "/v1/things", apiKey)).status).toBe(200);
    expect(lines.map((line) => JSON.parse(line).event)).toEqual(["rate_limit.store_failed"]);
  });

  it("turns the failed body read of a client gone mid-upload into one warning and a 499, not a logged 500", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "debug" },
      new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }),
    );
    const app = new Hono();
    app.post("/upload", async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }));
    app.onError(createErrorHandler(logger));
    // A body cut short by the connection closing, as Node reports it; the server aborts the request's signal then.
    const upload = (signal?: AbortSignal) =>
      app.request("/upload", {
        method: "POST",
        body: new ReadableStream({
          start: (body) => body.error(Object.assign(new Error("aborted"), { code: "ECONNRESET" })),
        }),
        duplex: "half",
        signal,
      } as RequestInit);

    const gone = new AbortController();
    gone.abort();
    expect((await upload(gone.signal)).status).toBe(499);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 40,
        event: "http.client_aborted",
        method: "POST",
        path: "/upload",
        cause: "ECONNRESET",
      }),
    ]);
    // The same failure while the client is still there is the server's problem: an error with its stack, and a 500.
    lines.length = 0;
    expect((await upload()).status).toBe(500);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 50,
        event: "http.unhandled_error",
        err: expect.objectContaining({ stack: expect.any(String) }),
      }),
    ]);
  });

  it("answers by the error's class: an unavailable log as 503 + Retry-After, an internal code or a look-alike as a 500", async () => {
    const app = new Hono();
    const failures: Record<string, () => never> = {
      log: () => {
        throw new LogUnavailableError("cannot append to topic events");
      },
      internal: () => {
        throw new OffsetsAheadOfLogError("the log ends at 3");
      },
      // Only the class says what an error is: a code alone, from a library or a copy, is not the log's.
      lookalike: () => {
        throw Object.assign(new Error("not ours"), { code: "log_unavailable" });
      },
    };
    for (const [name, fail] of Object.entries(failures)) app.get(`/${name}`, () => fail());
    app.onError(createErrorHandler(createLogger("silent")));

    const log = await app.request("/log");
    expect(log.status).toBe(503);
    expect(log.headers.get("retry-after")).toBe("5");
    expect(await log.json()).toEqual({
      error: { code: "log_unavailable", message: "the event log cannot take more right now" },
    });
    for (const name of ["internal", "lookalike"]) {
      const res = await app.request(`/${name}`);
      expect(res.status, name).toBe(500);
      expect(await res.json()).toEqual({ error: { code: "internal_error", message: "internal error" } });
    }
  });

  it.skipIf(redisUrl === undefined)("fails open when the Redis behind the limiter is gone", async () => {
    const limiter = await createTierRateLimiter({ limits: parseTierLimits("free=1/min"), redisUrl });
    await limiter.close();
    const app = appWith(limiter);
    const apiKey = await keyWith(["read"], "free");
    for (let i = 0; i < 3; i++) expect((await get(app, "/v1/things", apiKey)).status).toBe(200);
  });
});
