import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { ApiError } from "../platform/http/api-error.ts";
import { createRouter } from "../platform/http/create-router.ts";
import { AUTHENTICATED_ERRORS, ErrorBodySchema, errorResponses } from "../platform/http/openapi.ts";
import { Event } from "../schemas/index.ts";
import examples from "../schemas/examples/events.json" with { type: "json" };
import type { AcceptEvents } from "./accept-events.ts";
import { parseBody } from "./parse-body.ts";

/** Limits of one ingest request. */
export interface IngestLimits {
  /** Largest body in bytes, compressed or not. */
  maxBodyBytes: number;
  /** Most events in one request. */
  maxBatchEvents: number;
}

const IngestResultSchema = z
  .object({
    accepted: z.number().int().meta({ description: "Events appended to the log by this request." }),
    duplicates: z.number().int().meta({ description: "Valid events whose id was already accepted." }),
    rejected: z
      .array(
        z.object({
          index: z.number().int().meta({ description: "Position in the array, or non-empty NDJSON line." }),
          id: z.string().nullable(),
          errors: z.array(z.object({ path: z.string(), message: z.string() })),
        }),
      )
      .meta({ description: "Every invalid item with every violation." }),
  })
  .meta({ id: "IngestResult" });

const REJECTED_EXAMPLE = {
  index: 1,
  id: "a1b2c3d4-0000-4000-8000-000000000001",
  errors: [{ path: "data.weddingDate", message: "not a calendar date: 2027-02-30" }],
};

/**
 * `POST /v1/events`: one event, a JSON array, or NDJSON; gzip allowed. Answers 202 with per-item
 * results when at least one event was valid, 400 with the same body when none was.
 */
export function createIngestRoutes({ acceptEvents, limits }: { acceptEvents: AcceptEvents; limits: IngestLimits }) {
  const tooLarge = () => {
    throw new ApiError("payload_too_large", `the body exceeds ${limits.maxBodyBytes} bytes`, {
      maxBodyBytes: limits.maxBodyBytes,
    });
  };
  const router = createRouter();
  // Documented here but parsed by the handler itself: a batch is judged item by item (one bad event must not refuse
  // its neighbours), NDJSON and gzip bodies included, which a whole-body schema validator cannot do.
  router.openAPIRegistry.registerPath({
    method: "post",
    path: "/",
    tags: ["Ingest"],
    operationId: "ingestEvents",
    summary: "Send events",
    description: `One event, a JSON array of events, or NDJSON (one event a line); \`Content-Encoding: gzip\` allowed. At most ${limits.maxBatchEvents} events and ${limits.maxBodyBytes} bytes. Valid events are appended durably before the answer; each invalid one is listed with its index and every violation. An event id seen before counts as a duplicate, never twice.`,
    request: {
      body: {
        required: true,
        content: {
          "application/json": { schema: z.union([Event, z.array(Event)]), example: examples },
          "application/x-ndjson": {
            schema: z.string().meta({ description: "One JSON event per line." }),
            example: examples.map((event) => JSON.stringify(event)).join("\n"),
          },
        },
      },
    },
    responses: {
      202: {
        description: "At least one event was valid and is durably in the log.",
        content: {
          "application/json": {
            schema: IngestResultSchema,
            example: { accepted: 7, duplicates: 0, rejected: [REJECTED_EXAMPLE] },
          },
        },
      },
      400: {
        description:
          "No event was valid (the per-item results and the error body together), or the body held no events.",
        content: {
          "application/json": {
            schema: z.union([IngestResultSchema.extend(ErrorBodySchema.shape), ErrorBodySchema]),
            example: {
              accepted: 0,
              duplicates: 0,
              rejected: [REJECTED_EXAMPLE],
              error: { code: "invalid_events", message: "none of the 1 events is valid" },
            },
          },
        },
      },
      ...errorResponses("payload_too_large", "unsupported_media_type", "log_unavailable", ...AUTHENTICATED_ERRORS),
    },
  });
  router.post("/", bodyLimit({ maxSize: limits.maxBodyBytes, onError: tooLarge }), async (c) => {
    const parsed = parseBody(new Uint8Array(await c.req.arrayBuffer()), {
      contentType: c.req.header("content-type") ?? "",
      contentEncoding: c.req.header("content-encoding") ?? "",
      maxBytes: limits.maxBodyBytes,
    });
    if (!parsed.ok) throw new ApiError(parsed.problem.code, parsed.problem.message);
    if (parsed.items.length === 0) throw new ApiError("invalid_request", "the body holds no events");
    if (parsed.items.length > limits.maxBatchEvents) {
      throw new ApiError(
        "payload_too_large",
        `a request may carry at most ${limits.maxBatchEvents} events; this one has ${parsed.items.length}`,
        {
          maxBatchEvents: limits.maxBatchEvents,
        },
      );
    }
    const result = await acceptEvents(c.var.auth.orgId, parsed.items);
    if (result.accepted + result.duplicates > 0) return c.json(result, 202);
    // Nothing was valid: the same per-item body, plus the API's one error shape.
    const error = new ApiError("invalid_events", `none of the ${parsed.items.length} events is valid`);
    return c.json({ ...result, ...error.toBody() }, 400);
  });
  return router;
}
