/** One Server-Sent Events frame as a client parses it: its fields, or the text of a comment frame. */
export interface SseFrame {
  event?: string;
  data?: string;
  id?: string;
  comment?: string;
}

/** A response body being read as SSE: the frames so far, in order, and the way to hang up. */
export interface SseStream {
  /** Every frame received so far; grows while the stream is open. */
  readonly frames: SseFrame[];
  /** True once the server ended the stream (or the client hung up). */
  readonly ended: boolean;
  /** Hangs up, as a client that closes the connection does. */
  close(): Promise<void>;
}

/** Parses one frame's text (the lines between two blank lines) the way an EventSource does, for our fields. */
function parseSseFrame(text: string): SseFrame {
  const frame: SseFrame = {};
  const data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.startsWith(":")) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") frame.event = value;
    else if (field === "id") frame.id = value;
    else if (field === "data") data.push(value);
  }
  if (data.length > 0) frame.data = data.join("\n");
  return frame;
}

/** Reads an SSE body in the background, frame by frame, as the bytes arrive. */
export function readSse(body: ReadableStream<Uint8Array>): SseStream {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const frames: SseFrame[] = [];
  let ended = false;
  let buffer = "";
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.search(/\n\n/); end !== -1; end = buffer.search(/\n\n/)) {
          frames.push(parseSseFrame(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
      }
    } finally {
      ended = true;
    }
  })();
  return {
    frames,
    get ended() {
      return ended;
    },
    async close() {
      await reader.cancel();
      await pump;
    },
  };
}
