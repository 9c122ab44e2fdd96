import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseBody } from "./parse-body.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const opts = (contentType: string, contentEncoding = "") => ({ contentType, contentEncoding, maxBytes: 1024 });

describe("parseBody", () => {
  it("takes one object, an array, or NDJSON", () => {
    expect(parseBody(bytes('{"a":1}'), opts("application/json"))).toEqual({
      ok: true,
      items: [{ ok: true, value: { a: 1 } }],
    });
    expect(parseBody(bytes("[1,2]"), opts("application/json; charset=utf-8"))).toEqual({
      ok: true,
      items: [
        { ok: true, value: 1 },
        { ok: true, value: 2 },
      ],
    });
    const nd = parseBody(bytes('{"a":1}\n\n{"b":2}\n'), opts("application/x-ndjson"));
    expect(nd).toEqual({
      ok: true,
      items: [
        { ok: true, value: { a: 1 } },
        { ok: true, value: { b: 2 } },
      ],
    });
  });

  it("turns a bad NDJSON line into a bad item, keeping its neighbours", () => {
    const result = parseBody(bytes('{"a":1}\n{oops\n{"c":3}'), opts("application/x-ndjson"));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.items.map((i) => i.ok)).toEqual([true, false, true]);
    expect(result.items[1]).toMatchObject({ message: expect.stringContaining("not valid JSON") });
  });

  it("refuses a body that is not JSON, and unknown media types and encodings", () => {
    expect(parseBody(bytes("{oops"), opts("application/json"))).toMatchObject({
      ok: false,
      problem: { code: "invalid_request" },
    });
    expect(parseBody(bytes("a,b"), opts("text/csv"))).toMatchObject({
      ok: false,
      problem: { code: "unsupported_media_type" },
    });
    expect(parseBody(bytes("{}"), opts("application/json", "br"))).toMatchObject({
      ok: false,
      problem: { code: "unsupported_media_type" },
    });
  });

  it("inflates gzip, and refuses a gzip bomb past the limit", () => {
    const small = gzipSync(bytes('[{"a":1}]'));
    expect(parseBody(small, opts("application/json", "gzip"))).toEqual({
      ok: true,
      items: [{ ok: true, value: { a: 1 } }],
    });
    const bomb = gzipSync(bytes(`[${"0,".repeat(10_000)}0]`));
    expect(parseBody(bomb, opts("application/json", "gzip"))).toMatchObject({
      ok: false,
      problem: { code: "payload_too_large" },
    });
    expect(parseBody(bytes("not gzip"), opts("application/json", "gzip"))).toMatchObject({
      ok: false,
      problem: { code: "invalid_request" },
    });
  });
});

describe("parseBody on bytes that are not UTF-8", () => {
  const withBadByte = (before: string, after: string) => new Uint8Array([...bytes(before), 0xff, ...bytes(after)]);

  it("refuses a JSON body naming where the bad bytes are, instead of replacing them", () => {
    const result = parseBody(withBadByte('{"a":"', '"}'), opts("application/json"));
    expect(result).toMatchObject({
      ok: false,
      problem: { code: "invalid_request", message: expect.stringContaining("byte 6") },
    });
    const cut = new Uint8Array([...bytes('{"a":"'), 0xe2, 0x82]);
    expect(parseBody(cut, opts("application/json"))).toMatchObject({
      ok: false,
      problem: { message: expect.stringContaining("multi-byte") },
    });
  });

  it("refuses only the NDJSON line that is not UTF-8, keeping its neighbours and their text intact", () => {
    const body = new Uint8Array([...bytes('{"a":"é"}\n'), ...withBadByte('{"b":"', '"}'), ...bytes('\n{"c":"😀"}')]);
    const result = parseBody(body, opts("application/x-ndjson"));
    expect(result).toEqual({
      ok: true,
      items: [
        { ok: true, value: { a: "é" } },
        { ok: false, message: "line is not valid UTF-8" },
        { ok: true, value: { c: "😀" } },
      ],
    });
  });
});
