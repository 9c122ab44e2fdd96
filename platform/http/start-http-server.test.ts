import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPglite } from "../../test/support/pglite-template.ts";
import { connectRaw, rawRequest } from "../../test/support/raw-http.ts";
import { makeTempDir, type TempDir } from "../../test/support/temp-dir.ts";
import { waitFor } from "../../test/support/wait-for.ts";
import { parseTierLimits } from "../rate-limit/tier-limits.ts";
import { createTierRateLimiter } from "../rate-limit/tier-rate-limiter.ts";
import type { SqlClient } from "../sql/sql-client.ts";
import { createAuthenticator } from "../tenants/authenticate.ts";
import { createOrganisation } from "../tenants/organisations.ts";
import { createHttpApp } from "./create-http-app.ts";
import { createRouter } from "./create-router.ts";
import { createHttpMetrics } from "./http-metrics.ts";
import { startHttpServer, type HttpServer, type HttpServerLimits } from "./start-http-server.ts";

let dir: TempDir;
let sql: SqlClient;
let apiKey: string;

beforeAll(async () => {
  dir = await makeTempDir("wedsync-http-server");
  sql = await createTestPglite(path.join(dir.path, "pg"));
  ({ apiKey } = await createOrganisation(sql, "HTTP Server Test", { scopes: ["ingest"] }));
});

afterAll(async () => {
  await sql?.close();
  await dir?.cleanup();
});

/** Small limits, so each scenario takes well under a few seconds; each test overrides what it is about. */
const SMALL: HttpServerLimits = {
  requestTimeoutMs: 1000,
  headersTimeoutMs: 300,
  keepAliveTimeoutMs: 1000,
  maxConnections: 16,
};

/** A real server on port 0 with the product's HTTP app, an upload route that reads its whole body, and its log lines. */
async function startServer(limits: Partial<HttpServerLimits> = {}) {
  const lines: { level: number; event?: string; [key: string]: unknown }[] = [];
  const logger = pino(
    { level: "debug" },
    new Writable({ write: (chunk, _encoding, done) => done(void lines.push(JSON.parse(String(chunk)))) }),
  );
  const uploads = createRouter();
  uploads.post("/", async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }, 202));
  const app = createHttpApp({
    authenticate: createAuthenticator(sql),
    rateLimiter: await createTierRateLimiter({ limits: parseTierLimits("professional=1000000/s") }),
    mounts: [{ path: "/v1/uploads", scope: "ingest", app: uploads }],
    health: { ready: async () => ({ ok: true, checks: {} }) },
    metrics: createHttpMetrics({ readBacklog: async () => ({ lag: 0, oldestUnprocessedAgeSeconds: 0 }) }),
    logger,
  });
  const http = await startHttpServer({
    fetch: app.fetch,
    port: 0,
    host: "127.0.0.1",
    limits: { ...SMALL, ...limits },
    logger,
  });
  let requests = 0;
  http.server.on("request", () => requests++);
  return { http, lines, requestsSeen: () => requests };
}

/** Closes the server once its connections are gone; a test's own sockets are destroyed first. */
async function stop(http: HttpServer) {
  http.server.closeAllConnections();
  await http.close();
}

const openConnections = (http: HttpServer) =>
  new Promise<number>((resolve, reject) => http.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
const auth = () => ({ Authorization: `Bearer ${apiKey}` });

describe("startHttpServer", () => {
  it("answers a client that sends its headers slower than the headers timeout 408 and disconnects it", async () => {
    const { http } = await startServer({ headersTimeoutMs: 300, requestTimeoutMs: 3000 });
    try {
      const client = await connectRaw(http.port);
      client.write("POST /v1/uploads HTTP/1.1\r\nHost: test\r\n");
      // A slow-loris: a header byte every 50 ms, never the blank line that ends the headers.
      const drip = setInterval(() => client.write("x"), 50);
      const closed = await client.closed.finally(() => clearInterval(drip));
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      // Cut off by the headers timeout, not the request timeout.
      expect(closed.afterMs).toBeGreaterThanOrEqual(300);
      expect(closed.afterMs).toBeLessThan(3000);
    } finally {
      await stop(http);
    }
  });

  it("answers an upload slower than the request timeout 408, disconnects it, and logs it once as a warning", async () => {
    const { http, lines } = await startServer({ headersTimeoutMs: 300, requestTimeoutMs: 1000 });
    try {
      const client = await connectRaw(http.port);
      client.write(
        rawRequest("POST", "/v1/uploads", {
          ...auth(),
          "Content-Type": "application/octet-stream",
          "Content-Length": 1000,
        }),
      );
      // Headers on time, then the body at 20 bytes/s: 1000 bytes would take 50 s.
      const drip = setInterval(() => client.write("x"), 50);
      const closed = await client.closed.finally(() => clearInterval(drip));
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      // Cut off by the request timeout, not after the 50 s the body would take.
      expect(closed.afterMs).toBeGreaterThanOrEqual(1000);
      expect(closed.afterMs).toBeLessThan(2500);
      const warning = await waitFor(() => lines.find((line) => line.event === "http.client_aborted"));
      expect(warning).toMatchObject({
        level: 40,
        method: "POST",
        path: "/v1/uploads",
        cause: "ERR_HTTP_REQUEST_TIMEOUT",
      });
      await waitFor(async () => (await openConnections(http)) === 0);
      expect(lines.filter((line) => line.event === "http.client_aborted")).toHaveLength(1);
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await stop(http);
    }
  });

  it.each([
    ["closes its side (FIN)", (socket: import("node:net").Socket) => socket.end()],
    ["resets the connection (RST)", (socket: import("node:net").Socket) => socket.resetAndDestroy()],
  ])("logs an upload whose client %s mid-body once, as a warning, never as an error", async (_how, hangUp) => {
    const { http, lines } = await startServer({ requestTimeoutMs: 10_000, headersTimeoutMs: 5000 });
    try {
      const client = await connectRaw(http.port);
      const arrived = new Promise((resolve) => http.server.once("request", resolve));
      client.write(
        rawRequest(
          "POST",
          "/v1/uploads",
          { ...auth(), "Content-Type": "application/octet-stream", "Content-Length": 100_000 },
          "x".repeat(10_000),
        ),
      );
      await arrived;
      // The client goes away with 90% of the body unsent.
      hangUp(client.socket);
      await client.closed;
      const warning = await waitFor(() => lines.find((line) => line.event === "http.client_aborted"));
      expect(warning).toMatchObject({ level: 40, method: "POST", path: "/v1/uploads" });
      await waitFor(async () => (await openConnections(http)) === 0);
      expect(lines.filter((line) => line.event === "http.client_aborted")).toHaveLength(1);
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await stop(http);
    }
  });

  it("closes connections beyond the cap as they arrive, serves the ones within it, and warns once", async () => {
    const { http, lines } = await startServer({ maxConnections: 2, headersTimeoutMs: 5000, requestTimeoutMs: 10_000 });
    try {
      const first = await connectRaw(http.port);
      const second = await connectRaw(http.port);
      await waitFor(async () => (await openConnections(http)) === 2);
      const refused = await Promise.all([connectRaw(http.port), connectRaw(http.port)]);
      for (const client of refused) {
        client.write(rawRequest("GET", "/healthz", {}));
        await client.closed;
        expect(client.received()).toBe("");
      }
      // The connections within the cap are untouched and still served.
      first.write(rawRequest("GET", "/healthz", {}));
      expect((await first.waitForResponses(1))[0]).toMatchObject({ status: 200, body: '{"status":"ok"}' });
      const refusals = lines.filter((line) => line.event === "http.connections_refused");
      expect(refusals).toEqual([expect.objectContaining({ level: 40, maxConnections: 2, refused: 1 })]);
      // Once one closes, the next connection is served.
      second.socket.destroy();
      await waitFor(async () => (await openConnections(http)) === 1);
      const next = await connectRaw(http.port);
      next.write(rawRequest("GET", "/healthz", {}));
      expect((await next.waitForResponses(1))[0]!.status).toBe(200);
      for (const client of [first, next]) client.socket.destroy();
    } finally {
      await stop(http);
    }
  });

  it("answers an upload refused before its body arrived with Connection: close, then closes without a reset and runs nothing sent behind it", async () => {
    const { http, requestsSeen } = await startServer();
    try {
      // allowHalfOpen: the client goes on writing its body after the answer, as many clients do before they read.
      const client = await connectRaw(http.port, { allowHalfOpen: true });
      client.write(
        rawRequest(
          "POST",
          "/v1/uploads",
          { "Content-Type": "application/octet-stream", "Content-Length": 300_000 },
          "x".repeat(16_384),
        ),
      );
      const [refused] = await client.waitForResponses(1);
      expect(refused).toMatchObject({ status: 401, headers: { connection: "close" } });
      expect(JSON.parse(refused!.body)).toMatchObject({ error: { code: "unauthorized" } });
      for (let sent = 16_384; sent < 300_000; sent += 16_384)
        client.write("x".repeat(Math.min(16_384, 300_000 - sent)));
      client.write(rawRequest("GET", "/healthz", {}));
      client.socket.end();
      const closed = await client.closed;
      expect(closed).toMatchObject({ ended: true, error: undefined });
      expect(client.responses()).toHaveLength(1);
      expect(requestsSeen()).toBe(1);
    } finally {
      await stop(http);
    }
  });

  it("keeps a connection whose refused body had fully arrived, answers what follows on it, and closes it once idle", async () => {
    const { http } = await startServer({ keepAliveTimeoutMs: 1000 });
    try {
      const client = await connectRaw(http.port);
      client.write(
        Buffer.concat([
          rawRequest(
            "POST",
            "/v1/uploads",
            { "Content-Type": "application/octet-stream", "Content-Length": 20 },
            "x".repeat(20),
          ),
          rawRequest("GET", "/healthz", {}),
        ]),
      );
      const [refused, health] = await client.waitForResponses(2);
      expect(refused).toMatchObject({ status: 401, headers: { connection: "keep-alive", "keep-alive": "timeout=1" } });
      expect(health).toMatchObject({ status: 200, headers: { connection: "keep-alive" } });
      // Idle after its last answer: closed cleanly by the server after the keep-alive timeout (Node adds 1 s of grace).
      const closed = await client.closed;
      expect(closed).toMatchObject({ ended: true, error: undefined });
      expect(closed.afterMs).toBeGreaterThanOrEqual(1000);
      expect(closed.afterMs).toBeLessThan(4000);
    } finally {
      await stop(http);
    }
  });
});
