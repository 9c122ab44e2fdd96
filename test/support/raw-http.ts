import net from "node:net";
import { waitFor } from "./wait-for.ts";

/** One HTTP/1.1 response as it came over the wire: status, headers (names lower-cased) and body. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** How a raw connection ended, seen from the client. */
export interface RawClose {
  /** The server's FIN arrived: the socket ended cleanly rather than by a reset. */
  ended: boolean;
  /** The code of the first socket error (ECONNRESET, EPIPE), if any. */
  error: string | undefined;
  /** Milliseconds from connecting to the socket closing. */
  afterMs: number;
}

/** A client connection that writes raw bytes and records everything it receives and how it ends. */
export interface RawConnection {
  socket: net.Socket;
  /** Every byte received so far, as latin1 text. */
  received(): string;
  /** The complete responses received so far, in order. */
  responses(): RawResponse[];
  /** Writes raw bytes; ignored once the socket is closed (the close records why). */
  write(data: string | Uint8Array): void;
  /** Resolves once at least `count` complete responses have arrived, or rejects after `timeoutMs`. */
  waitForResponses(count: number, timeoutMs?: number): Promise<RawResponse[]>;
  /** Resolves once the socket is closed, with how it ended. */
  closed: Promise<RawClose>;
}

/**
 * Opens a TCP connection to `127.0.0.1:port`. With `allowHalfOpen`, the client keeps its side open (and can keep
 * sending) after the server's FIN, as a client still writing its body does; otherwise it closes when the server does.
 */
export async function connectRaw(
  port: number,
  { allowHalfOpen = false }: { allowHalfOpen?: boolean } = {},
): Promise<RawConnection> {
  const started = Date.now();
  const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen });
  let text = "";
  let ended = false;
  let error: string | undefined;
  socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
  socket.on("end", () => (ended = true));
  socket.on("error", (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
  const closed = new Promise<RawClose>((resolve) =>
    socket.once("close", () => resolve({ ended, error, afterMs: Date.now() - started })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const connection: RawConnection = {
    socket,
    received: () => text,
    responses: () => parseResponses(text),
    write(data) {
      if (!socket.destroyed && socket.writable) socket.write(data);
    },
    waitForResponses: (count, timeoutMs = 5000) =>
      waitFor(() => (parseResponses(text).length >= count ? parseResponses(text) : undefined), {
        timeoutMs,
        intervalMs: 5,
        message: `fewer than ${count} responses; received ${JSON.stringify(text.slice(0, 500))}`,
      }),
    closed,
  };
  return connection;
}

/**
 * The complete responses in `text`: a body is as long as its Content-Length says; a response without one (Node's own
 * `408`) has no body here. A response not fully received yet is left out.
 */
export function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd === -1) return responses;
    const [statusLine, ...lines] = text.slice(at, headEnd).split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? 0);
    const bodyStart = headEnd + 4;
    if (text.length < bodyStart + length) return responses;
    responses.push({
      status: Number(statusLine!.split(" ")[1]),
      headers,
      body: text.slice(bodyStart, bodyStart + length),
    });
    at = bodyStart + length;
  }
}

/** A request's bytes: request line, headers (Host added) and body as given. */
export function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body: string | Uint8Array = "",
): Buffer {
  const head = [
    `${method} ${path} HTTP/1.1`,
    "Host: test",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join("\r\n");
  return Buffer.concat([
    Buffer.from(`${head}\r\n\r\n`, "latin1"),
    typeof body === "string" ? Buffer.from(body, "latin1") : body,
  ]);
}

/** The body as chunked transfer coding: one chunk per `chunkBytes`, then the last-chunk and no trailers. */
export function chunked(body: string, chunkBytes = 4096, { last = true }: { last?: boolean } = {}): string {
  let out = "";
  for (let at = 0; at < body.length; at += chunkBytes) {
    const chunk = body.slice(at, at + chunkBytes);
    out += `${Buffer.byteLength(chunk, "latin1").toString(16)}\r\n${chunk}\r\n`;
  }
  return last ? `${out}0\r\n\r\n` : out;
}
