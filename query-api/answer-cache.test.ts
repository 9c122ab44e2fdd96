import { afterAll, describe, expect, it } from "vitest";
import type { Cache } from "../platform/cache/cache.ts";
import { createMemoryCache } from "../platform/cache/memory-cache.ts";
import { createRedisCache } from "../platform/cache/redis-cache.ts";
import { createAnswerCache } from "./answer-cache.ts";

const redisUrl = process.env.REDIS_URL;
if (redisUrl === undefined) console.log("answer cache: REDIS_URL not set, the Redis variant is skipped");

const caches: [string, (() => Promise<Cache>) | undefined][] = [
  ["in-process", async () => createMemoryCache({ maxEntries: 100 })],
  ["Redis", redisUrl === undefined ? undefined : () => createRedisCache({ url: redisUrl })],
];

describe.each(caches)("answer cache on the %s cache", (_name, open) => {
  const opened: Cache[] = [];
  afterAll(async () => {
    for (const cache of opened) await cache.close();
  });

  it.skipIf(open === undefined)("computes once per organisation, question and data version", async () => {
    const cache = await open!();
    opened.push(cache);
    const answers = createAnswerCache(cache);
    const orgId = `org-${crypto.randomUUID()}`;
    let computed = 0;
    const compute = async () => JSON.stringify({ run: ++computed });
    const question = { orgId, name: "revenue", params: { from: "2026-01-01", to: "2026-03-31", interval: "month" } };

    expect(await answers(question, [10, 4], compute)).toMatchObject({ json: JSON.stringify({ run: 1 }), hit: false });
    // The same question with its parameters in another order, or an absent one spelled undefined, is the same question.
    const reordered = { ...question, params: { interval: "month", to: "2026-03-31", from: "2026-01-01", groupBy: undefined } };
    const again = await answers(reordered, [10, 4], compute);
    expect(again).toMatchObject({ json: JSON.stringify({ run: 1 }), hit: true });
    expect(again.key).toBe((await answers(question, [10, 4], compute)).key);

    expect(await answers(question, [11, 4], compute)).toMatchObject({ json: JSON.stringify({ run: 2 }), hit: false });
    expect(await answers({ ...question, orgId: `${orgId}-other` }, [11, 4], compute)).toMatchObject({ json: JSON.stringify({ run: 3 }), hit: false });
    expect(await answers({ ...question, name: "payments" }, [11, 4], compute)).toMatchObject({ json: JSON.stringify({ run: 4 }), hit: false });
    expect(await answers({ ...question, params: { ...question.params, interval: "week" } }, [11, 4], compute)).toMatchObject({
      json: JSON.stringify({ run: 5 }),
      hit: false,
    });
  });

  it.skipIf(open === undefined)("stores nothing when computing fails, and asks again next time", async () => {
    const cache = await open!();
    opened.push(cache);
    const answers = createAnswerCache(cache);
    const question = { orgId: `org-${crypto.randomUUID()}`, name: "revenue", params: {} };
    await expect(answers(question, [1], async () => Promise.reject(new Error("ClickHouse is down")))).rejects.toThrow("ClickHouse is down");
    expect(await answers(question, [1], async () => JSON.stringify("fine"))).toEqual(expect.objectContaining({ json: JSON.stringify("fine"), hit: false }));
  });
});
