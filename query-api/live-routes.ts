import { createRoute } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { ApiError } from "../platform/http/api-error.ts";
import { createRouter } from "../platform/http/create-router.ts";
import { AUTHENTICATED_ERRORS, errorResponses } from "../platform/http/openapi.ts";
import { decodeCursor, LIVE_CURSOR_PATTERN } from "./live-cursor.ts";
import type { LiveFeed } from "./live-feed.ts";

const FRAMES_EXAMPLE = [
  "event: tally",
  'data: {"day":"2026-06-13","currencies":[{"currency":"GBP","bookings":1,"contractValue":220000,"paymentsReceived":55000,"refunds":0}]}',
  "id: 12.0.7.3",
  "",
  "event: anomaly",
  'data: {"id":"16fd2706-8baf-433b-82eb-8c7fada847da:overpayment","kind":"overpayment","severity":"high","score":0.1364,"status":"open","eventId":"16fd2706-8baf-433b-82eb-8c7fada847da","bookingId":"bk-88213","weddingId":"wed-2027-0612-hart","evidence":{"paymentId":"pay-3302","contractValue":{"amount":220000,"currency":"GBP"},"netPaid":{"amount":250000,"currency":"GBP"},"overBy":{"amount":30000,"currency":"GBP"}},"occurredAt":"2026-06-13T14:03:00.000Z","detectedAt":"2026-06-13T14:03:01.204Z"}',
  "id: 12.0.9.3",
  "",
  "event: tally",
  'data: {"day":"2026-06-13","currencies":[{"currency":"GBP","bookings":1,"contractValue":220000,"paymentsReceived":250000,"refunds":0}]}',
  "id: 12.0.9.3",
  "",
  ": heartbeat",
  "",
  "",
].join("\n");

const LiveHeaders = z.object({
  "last-event-id": z.string().regex(LIVE_CURSOR_PATTERN, "must be the id of a frame of this feed").optional().meta({
    description:
      "The id of the last frame received (browsers send it on reconnect): anomalies since then are sent first.",
    example: "12.0.7.3",
  }),
});

const liveFeedRoute = createRoute({
  method: "get",
  path: "/live",
  operationId: "getLiveFeed",
  tags: ["Live"],
  summary: "Live feed of anomalies and today's tally (Server-Sent Events)",
  description:
    "A stream of `anomaly` frames (each new anomaly of the organisation, as `GET /v1/anomalies` shows it) and `tally` " +
    "frames (today's UTC bookings, contract value, payments and refunds per currency, in minor units: sent on " +
    "connect and whenever it changes), with a `: heartbeat` comment every 15 s. Frame ids are positions in the " +
    "processed log; reconnecting with `Last-Event-ID` replays the anomalies missed since.",
  request: { headers: LiveHeaders },
  responses: {
    200: {
      description: "The stream, until the client disconnects.",
      content: {
        "text/event-stream": {
          schema: z.string().meta({ description: "Server-Sent Events frames.", example: FRAMES_EXAMPLE }),
        },
      },
    },
    ...errorResponses("invalid_request", "too_many_streams", ...AUTHENTICATED_ERRORS),
  },
});

/** GET /v1/live: the organisation's anomalies and today's tally as Server-Sent Events, from the shared live feed. */
export function createLiveRoutes({ feed }: { feed: LiveFeed }) {
  return createRouter().openapi(liveFeedRoute, (c) => {
    const lastEventId = c.req.valid("header")["last-event-id"];
    const subscription = feed.subscribe(
      c.var.auth.orgId,
      lastEventId === undefined ? undefined : decodeCursor(lastEventId),
    );
    if (subscription === undefined) {
      throw new ApiError(
        "too_many_streams",
        "this organisation has the most live feed connections allowed; close one first",
      );
    }
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => subscription.close());
      for (
        let frame = await subscription.next();
        frame !== undefined && !stream.aborted;
        frame = await subscription.next()
      ) {
        if (frame.event === "heartbeat") await stream.write(": heartbeat\n\n");
        else await stream.writeSSE({ event: frame.event, id: frame.id, data: JSON.stringify(frame.data) });
      }
      subscription.close();
    });
  });
}
