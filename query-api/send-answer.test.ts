import type { ClickHouseClient } from "@clickhouse/client";
import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeTempDir, type TempDir } from "../test/support/temp-dir.ts";
import type { Cache } from "../platform/cache/cache.ts";
import { createMemoryCache } from "../platform/cache/memory-cache.ts";
import { createClickHouse } from "../platform/clickhouse/create-clickhouse.ts";
import { ApiError } from "../platform/http/api-error.ts";
import type { AppEnv } from "../platform/http/app-env.ts";
import { createSendAnswer, negotiateFormat } from "./send-answer.ts";

const refusal = (format: string | undefined, accept: string | undefined) => {
  try {
    negotiateFormat(format, accept);
  } catch (error) {
    return error instanceof ApiError ? error.code : "not an ApiError";
  }
  return "accepted";
};

describe("negotiateFormat", () => {
  it("takes ?format= over the Accept header", () => {
    expect(negotiateFormat("csv", "application/json")).toBe("csv");
    expect(negotiateFormat("ndjson", undefined)).toBe("ndjson");
    expect(refusal("xml", "application/json")).toBe("invalid_request");
  });

  it("answers JSON when the Accept header asks for nothing in particular", () => {
    expect(negotiateFormat(undefined, undefined)).toBe("json");
    expect(negotiateFormat(undefined, "")).toBe("json");
    expect(negotiateFormat(undefined, "*/*")).toBe("json");
  });

  it("takes the most preferred media type it can write, by q then by order", () => {
    expect(negotiateFormat(undefined, "text/csv")).toBe("csv");
    expect(negotiateFormat(undefined, "application/json;q=0.5, text/csv;q=0.8")).toBe("csv");
    expect(negotiateFormat(undefined, "text/html, application/x-ndjson, text/csv")).toBe("ndjson");
    expect(negotiateFormat(undefined, "text/csv;q=0, */*;q=0.1")).toBe("json");
  });

  it("is a 406 when the Accept header names nothing it can write", () => {
    expect(refusal(undefined, "application/xml")).toBe("not_acceptable");
    expect(refusal(undefined, "text/csv;q=0")).toBe("not_acceptable");
  });
});

// The runner over a real (embedded) ClickHouse, asked of numbers(n): what it promises about paging, caching and
// streams cut short.
describe("the answer runner", () => {
  let dir: TempDir;
  let ch: ClickHouseClient;
  let cache: Cache;
  const watermark = async () => ({ processed: [7], end: [7], lag: 0 });

  beforeAll(async () => {
    dir = await makeTempDir("wedsync-send-answer");
    ch = createClickHouse({ url: undefined, dataDir: dir.path });
  });
  afterAll(async () => {
    await ch?.close();
    await dir?.cleanup();
  });
  beforeEach(() => {
    cache = createMemoryCache({ maxEntries: 100 });
  });

  /** An app answering GET /rows?n=&limit=&cursor= with numbers(n), ordered, paged when limit is given. */
  function appWith(options: { maxCachedChars?: number } = {}) {
    const sendAnswer = createSendAnswer({ ch, watermark, cache, ...options });
    const app = new Hono<AppEnv>();
    app.use("*", async (c, next) => {
      c.set("auth", { orgId: "org_a", keyId: "key_a", scopes: ["read"], tier: "professional" });
      await next();
    });
    app.get("/rows", (c) => {
      const n = Number(c.req.query("n"));
      const limit = c.req.query("limit");
      const cursor = c.req.query("cursor");
      const page =
        limit === undefined ? undefined : { limit: Number(limit), ...(cursor === undefined ? {} : { cursor }) };
      return sendAnswer(c, {
        name: "numbers",
        params: { n, limit, cursor },
        query: "SELECT number AS n FROM numbers({n:UInt64}) ORDER BY n",
        queryParams: { n },
        ...(page === undefined ? {} : { page }),
      });
    });
    return app;
  }

  it("says there is a next page exactly when a row lies beyond this one", async () => {
    const app = appWith();
    type Page = { data: { n: number }[]; meta: { nextCursor: string | null } };
    const page = async (query: string) => (await (await app.request(`/rows?n=10&${query}`)).json()) as Page;
    const first = await page("limit=5");
    expect(first.data).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    expect(first.meta.nextCursor).toEqual(expect.any(String));
    // Five rows are left after the first page: exactly one more page, with no cursor after it.
    const second = await page(`limit=5&cursor=${first.meta.nextCursor}`);
    expect(second).toMatchObject({ data: [5, 6, 7, 8, 9].map((n) => ({ n })), meta: { nextCursor: null } });
    // Six are left after the first four: two more pages.
    const four = await page("limit=4");
    const fourSecond = await page(`limit=4&cursor=${four.meta.nextCursor}`);
    expect(fourSecond.data).toEqual([4, 5, 6, 7].map((n) => ({ n })));
    expect(fourSecond.meta.nextCursor).toEqual(expect.any(String));
    // The cached copies say the same.
    const cached = await app.request(`/rows?n=10&limit=5&cursor=${first.meta.nextCursor}`);
    expect(cached.headers.get("x-cache")).toBe("hit");
    expect(((await cached.json()) as { meta: { nextCursor: string | null } }).meta.nextCursor).toBeNull();
  });

  it("caches an answer only when it is no larger than maxCachedChars", async () => {
    const small = appWith({ maxCachedChars: 1_000 });
    for (const expected of ["miss", "hit"]) {
      // The copy is kept once the answer has been read to its end.
      const res = await small.request("/rows?n=10");
      expect(res.headers.get("x-cache")).toBe(expected);
      await res.text();
    }
    const big = appWith({ maxCachedChars: 1_000 });
    for (const expected of ["miss", "miss"]) {
      const res = await big.request("/rows?n=1000");
      expect(res.headers.get("x-cache")).toBe(expected);
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1000);
    }
  });

  it("caches nothing of an answer whose client went away before its end", async () => {
    const app = appWith();
    const res = await app.request("/rows?n=200000&format=csv");
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const again = await app.request("/rows?n=200000&format=csv");
    expect(again.headers.get("x-cache")).toBe("miss");
    const lines = (await again.text()).trim().split("\n");
    expect(lines).toHaveLength(200_001);
    expect((await app.request("/rows?n=200000&format=csv")).headers.get("x-cache")).toBe("hit");
  });
});
