import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import type { Logger } from "../logger.ts";

/** How the HTTP server treats slow clients and how many it serves at once; durations in milliseconds. */
export interface HttpServerLimits {
  /** Longest time to receive one whole request, headers and body, counted from its first byte. */
  requestTimeoutMs: number;
  /** Longest time to receive one request's headers, counted from its first byte (from the connection, for the first). */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection is kept for its next request. */
  keepAliveTimeoutMs: number;
  /** Most client connections open at once, live feed streams included; further ones are closed as they arrive. */
  maxConnections: number;
}

/** What the server calls for each request: a Hono app's `fetch`, given Node's request and response as bindings. */
export type FetchHandler = (request: Request, env: HttpBindings) => Response | Promise<Response>;

/** A listening HTTP server. */
export interface HttpServer {
  /** The Node server, for what this interface does not cover. */
  server: Server;
  /** The port it listens on (the one chosen by the system when asked for port 0). */
  port: number;
  /** Stops accepting connections and closes idle ones; resolves once the last open connection has ended. */
  close(): Promise<void>;
}

/**
 * How long a connection being closed after an early answer keeps reading what its client still sends, at most. A
 * client that writes its whole body before it reads (many do) needs this long to reach the answer; one still sending
 * after it is cut off, with the reset that brings.
 */
const CLOSE_LINGER_MS = 5_000;

/** At most one warning about refused connections per this many milliseconds; the ones in between are counted. */
const WARN_EVERY_MS = 10_000;

/**
 * Starts the product's HTTP/1.1 server on `host:port` (port 0: any free port), serving `fetch` with every timeout and
 * the connection cap set from `limits`, and resolves once it listens.
 *
 * - A client slower than `headersTimeoutMs` to send its headers, or than `requestTimeoutMs` to send its whole request,
 *   is answered `408` and disconnected by Node's HTTP server; the app's own work on a request is not bounded by these.
 * - Past `maxConnections`, a new connection is closed as it arrives, before a byte is read.
 * - An answer given before its request's body has arrived (a 413 for a body over the limit, a 401 to an upload without
 *   a valid key) says `Connection: close`, and the connection is then closed without a reset (see closeAfterAnswer).
 */
export async function startHttpServer({
  fetch,
  port,
  host,
  limits,
  logger,
}: {
  fetch: FetchHandler;
  port: number;
  host: string;
  limits: HttpServerLimits;
  logger: Logger;
}): Promise<HttpServer> {
  const closing = new WeakSet<Socket>();
  const listener = getRequestListener(
    (request, env) => {
      const bindings = env as HttpBindings;
      const answer = fetch(request, bindings);
      return answer instanceof Promise
        ? answer.then((response) => closeIfEarly(response, bindings, closing))
        : closeIfEarly(answer, bindings, closing);
    },
    // @hono/node-server would otherwise drain an unread body itself after the answer and destroy the socket if that
    // takes over 500 ms: on a connection it had announced as keep-alive, with the reset that brings. Instead, a body that
    // has fully arrived needs nothing (Node has parsed it, and drops what nobody read) and the connection stays; one
    // still arriving makes the answer the connection's last (closeIfEarly).
    { autoCleanupIncoming: false },
  );
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node looks for expired requests only this often (30 s by default), so a timeout is enforced to within one
      // interval: a tenth of the shorter timeout, at most a second.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10)),
      ),
    },
    (incoming, outgoing) => {
      // A request the client sent behind an answer that closes its connection: the client was told it will not be read,
      // so it is not run (nor answered); its body is dropped like the rest.
      if (closing.has(incoming.socket)) {
        drop(incoming);
        return;
      }
      void listener(incoming, outgoing);
    },
  );
  server.maxConnections = limits.maxConnections;

  let warnedAt = Number.NEGATIVE_INFINITY;
  let dropped = 0;
  server.on("drop", () => {
    dropped++;
    const now = Date.now();
    if (now - warnedAt < WARN_EVERY_MS) return;
    warnedAt = now;
    logger.warn(
      { event: "http.connections_refused", maxConnections: limits.maxConnections, refused: dropped },
      "connection cap reached; refusing connections",
    );
    dropped = 0;
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** Makes an answer ready before its request's body has fully arrived the connection's last; see closeAfterAnswer. */
function closeIfEarly(
  response: Response,
  { incoming, outgoing }: HttpBindings,
  closing: WeakSet<Socket>,
): Response | Promise<Response> {
  if (incoming.complete) return response;
  // An answer given synchronously comes while Node's parser is still at the request's headers, even when the whole body
  // arrived with them; one turn of the event loop lets it parse what has arrived, so only a body still on its way counts.
  return new Promise((resolve) =>
    setImmediate(() => {
      if (!incoming.complete && !outgoing.headersSent) closeAfterAnswer(incoming, outgoing, closing);
      resolve(response);
    }),
  );
}

/**
 * The answer to a request whose body is still arriving (a 413 for a body over the limit, a 401 to an upload without a
 * valid key) ends its connection, and says so.
 *
 * Why not keep the connection, reading and dropping the rest of the body? Because the rest has no bound we could promise
 * in advance: a chunked body does not say how long it is, and one with a Content-Length may announce gigabytes. The
 * server would either read them all to keep its word, or break it by closing a connection it had announced as
 * keep-alive, which is how a client loses the requests it already sent on it. `Connection: close` is always true, and a
 * new connection costs the client one handshake, after an answer that is rare by nature.
 *
 * Closing is done the way RFC 9112 §9.6 asks. Node would destroy the socket as soon as the answer is written; with the
 * client's unread bytes in the kernel (the rest of its body, requests pipelined behind it) the close becomes a reset,
 * which can destroy the answer in the client's buffers before it is read. Instead the socket is shut for writing (the
 * FIN follows the answer) and what the client still sends is read and dropped until it closes its side, or
 * CLOSE_LINGER_MS or the request timeout pass.
 */
function closeAfterAnswer(incoming: IncomingMessage, outgoing: ServerResponse, closing: WeakSet<Socket>): void {
  outgoing.setHeader("Connection", "close");
  const socket = incoming.socket;
  closing.add(socket);
  // Node ends the socket of a response that says `Connection: close` by calling this once the response is written.
  socket.destroySoon = () => {
    socket.end();
    drop(incoming);
    const timer = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
    socket.once("end", () => socket.destroy());
    socket.once("close", () => clearTimeout(timer));
  };
}

/**
 * Reads and drops the rest of a request's body, as Node does for a body nobody read. Whoever was reading it (a body
 * limit that stopped halfway) is detached first; it holds the body paused, and with it the connection.
 */
function drop(incoming: IncomingMessage): void {
  incoming.removeAllListeners("data");
  incoming.resume();
}
