import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer, type HttpServer } from "../platform/http/start-http-server.ts";
import { chunked, connectRaw, rawRequest } from "../test/support/raw-http.ts";
import { openIngestTestWorld, type IngestTestWorld } from "../test/support/ingest-test-world.ts";

// POST /v1/events over a real connection: what a client sees on the socket after a 413, as opposed to the answer
// alone, which ingest-routes.test.ts checks through app.request.

const examples = JSON.parse(
  readFileSync(new URL("../schemas/examples/events.json", import.meta.url), "utf8"),
) as Record<string, unknown>[];
const MAX_BODY = 1024;

let world: IngestTestWorld;
let http: HttpServer;
let apiKey: string;
const lines: { level: number; event?: string }[] = [];

beforeAll(async () => {
  const logger = pino(
    { level: "debug" },
    new Writable({ write: (chunk, _encoding, done) => done(void lines.push(JSON.parse(String(chunk)))) }),
  );
  world = await openIngestTestWorld({ prefix: "wedsync-ingest-server", maxBodyBytes: MAX_BODY, logger });
  ({ apiKey } = world);
  const { app } = world;
  http = await startHttpServer({
    fetch: app.fetch,
    port: 0,
    host: "127.0.0.1",
    limits: { requestTimeoutMs: 10_000, headersTimeoutMs: 5000, keepAliveTimeoutMs: 5000, maxConnections: 64 },
    logger,
  });
});

afterAll(async () => {
  http?.server.closeAllConnections();
  await http?.close();
  await world?.close();
});

/** One valid event with a fresh id, as the body of a valid request (well under MAX_BODY). */
function validEvent(): { id: string; body: Buffer } {
  const id = randomUUID();
  return { id, body: Buffer.from(JSON.stringify({ ...structuredClone(examples[0]!), id })) };
}

const postHeaders = (extra: Record<string, string | number>) => ({
  Authorization: `Bearer ${apiKey}`,
  "Content-Type": "application/json",
  ...extra,
});

async function loggedIds(): Promise<Set<string>> {
  return new Set((await world.loggedEvents()).map((e) => e.id));
}

/**
 * The pieces a client writes for each kind of oversized body: 8 MiB, more than the kernel buffers between client and
 * server hold, so the body is still arriving when the server refuses it (it reads a little past the limit, then answers),
 * and the client can only finish writing if the server goes on reading.
 */
const PIECE = "x".repeat(64 * 1024);
const OVERSIZED = {
  "a body whose Content-Length is over the limit": () => [
    rawRequest("POST", "/v1/events", postHeaders({ "Content-Length": 128 * PIECE.length })),
    ...Array.from({ length: 128 }, () => PIECE),
  ],
  "a chunked body that grows past the limit": () => [
    rawRequest("POST", "/v1/events", postHeaders({ "Transfer-Encoding": "chunked" })),
    ...Array.from({ length: 128 }, () => chunked(PIECE, PIECE.length, { last: false })),
    "0\r\n\r\n",
  ],
};

describe("POST /v1/events over a real connection", () => {
  it.each(Object.keys(OVERSIZED) as (keyof typeof OVERSIZED)[])(
    "413 for %s, still arriving when refused: Connection: close, the whole answer, a clean end without a reset, nothing sent behind it runs",
    async (kind) => {
      // The client writes its whole body, and a valid request pipelined behind it, before it reads anything; it keeps
      // its side open after the server's FIN (allowHalfOpen) until it has written everything, as such a client does.
      const client = await connectRaw(http.port, { allowHalfOpen: true });
      const behind = validEvent();
      for (const piece of OVERSIZED[kind]()) client.write(piece);
      client.write(
        rawRequest("POST", "/v1/events", postHeaders({ "Content-Length": behind.body.length }), behind.body),
      );
      client.socket.end();
      expect(await client.closed).toMatchObject({ ended: true, error: undefined });
      const [tooLarge] = client.responses();
      expect(tooLarge).toMatchObject({ status: 413, headers: { connection: "close" } });
      expect(JSON.parse(tooLarge!.body)).toEqual({
        error: {
          code: "payload_too_large",
          message: `the body exceeds ${MAX_BODY} bytes`,
          details: { maxBodyBytes: MAX_BODY },
        },
      });
      // The request behind it was not run: the client was told it would not be read.
      expect(client.responses()).toHaveLength(1);
      expect((await loggedIds()).has(behind.id)).toBe(false);

      // The client retries on a new connection, as Connection: close told it to: the event is new to the server.
      const retry = await connectRaw(http.port);
      retry.write(rawRequest("POST", "/v1/events", postHeaders({ "Content-Length": behind.body.length }), behind.body));
      const [accepted] = await retry.waitForResponses(1);
      expect(accepted).toMatchObject({ status: 202, headers: { connection: "keep-alive" } });
      expect(JSON.parse(accepted!.body)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      retry.socket.destroy();
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    },
  );

  it.each([
    [
      "a body whose Content-Length is over the limit",
      (body: string) => rawRequest("POST", "/v1/events", postHeaders({ "Content-Length": body.length }), body),
    ],
    [
      "a chunked body over the limit",
      (body: string) =>
        rawRequest("POST", "/v1/events", postHeaders({ "Transfer-Encoding": "chunked" }), chunked(body, 512)),
    ],
  ])(
    "413 for %s that had fully arrived: keep-alive, and the requests behind it on the connection are answered",
    async (_kind, oversized) => {
      const client = await connectRaw(http.port);
      const behind = validEvent();
      const next = rawRequest("POST", "/v1/events", postHeaders({ "Content-Length": behind.body.length }), behind.body);
      client.write(Buffer.concat([oversized("x".repeat(MAX_BODY + 100)), next]));
      const [tooLarge, accepted] = await client.waitForResponses(2);
      expect(tooLarge).toMatchObject({ status: 413, headers: { connection: "keep-alive" } });
      expect(JSON.parse(tooLarge!.body)).toMatchObject({ error: { code: "payload_too_large" } });
      expect(accepted).toMatchObject({ status: 202, headers: { connection: "keep-alive" } });
      expect(JSON.parse(accepted!.body)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      // Still usable: one more request on the same connection.
      const again = validEvent();
      client.write(rawRequest("POST", "/v1/events", postHeaders({ "Content-Length": again.body.length }), again.body));
      expect((await client.waitForResponses(3))[2]).toMatchObject({ status: 202 });
      client.socket.end();
      expect(await client.closed).toMatchObject({ ended: true, error: undefined });
      const ids = await loggedIds();
      expect([ids.has(behind.id), ids.has(again.id)]).toEqual([true, true]);
    },
  );
});
