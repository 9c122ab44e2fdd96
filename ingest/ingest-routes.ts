import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../platform/http/api-error.ts";
import type { AppEnv } from "../platform/http/app-env.ts";
import type { AcceptEvents } from "./accept-events.ts";
import { parseBody } from "./parse-body.ts";

/** Limits of one ingest request. */
export interface IngestLimits {
  /** Largest body in bytes, compressed or not. */
  maxBodyBytes: number;
  /** Most events in one request. */
  maxBatchEvents: number;
}

/**
 * `POST /v1/events`: one event, a JSON array, or NDJSON; gzip allowed. Answers 202 with per-item
 * results when at least one event was valid, 400 with the same body when none was.
 */
export function createIngestRoutes({ acceptEvents, limits }: { acceptEvents: AcceptEvents; limits: IngestLimits }) {
  const tooLarge = () => {
    throw new ApiError("payload_too_large", `the body exceeds ${limits.maxBodyBytes} bytes`, { maxBodyBytes: limits.maxBodyBytes });
  };
  return new Hono<AppEnv>().post("/", bodyLimit({ maxSize: limits.maxBodyBytes, onError: tooLarge }), async (c) => {
    const parsed = parseBody(new Uint8Array(await c.req.arrayBuffer()), {
      contentType: c.req.header("content-type") ?? "",
      contentEncoding: c.req.header("content-encoding") ?? "",
      maxBytes: limits.maxBodyBytes,
    });
    if (!parsed.ok) throw new ApiError(parsed.problem.code, parsed.problem.message);
    if (parsed.items.length === 0) throw new ApiError("invalid_request", "the body holds no events");
    if (parsed.items.length > limits.maxBatchEvents) {
      throw new ApiError("payload_too_large", `a request may carry at most ${limits.maxBatchEvents} events; this one has ${parsed.items.length}`, {
        maxBatchEvents: limits.maxBatchEvents,
      });
    }
    const result = await acceptEvents(c.var.auth.orgId, parsed.items);
    if (result.accepted + result.duplicates > 0) return c.json(result, 202);
    // Nothing was valid: the same per-item body, plus the API's one error shape.
    const error = new ApiError("invalid_events", `none of the ${parsed.items.length} events is valid`);
    return c.json({ ...result, ...error.toBody() }, 400);
  });
}
