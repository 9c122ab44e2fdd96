import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerKey } from "./answer-cache.ts";

const question = {
  orgId: "org_a",
  name: "revenue",
  params: { from: "2026-01-01", to: "2026-03-31", interval: "month" },
};

describe("answerKey", () => {
  it("is the same for the same question, whatever the order of its parameters or an absent one spelt undefined", () => {
    const reordered = {
      ...question,
      params: { interval: "month", to: "2026-03-31", from: "2026-01-01", groupBy: undefined },
    };
    expect(answerKey(reordered, [10, 4])).toEqual(answerKey(question, [10, 4]));
    const nested = (order: string[]) => ({
      ...question,
      params: { filters: Object.fromEntries(order.map((k) => [k, [k]])) },
    });
    fc.assert(
      fc.property(fc.shuffledSubarray(["region", "service", "supplier"], { minLength: 3 }), (order) => {
        expect(answerKey(nested(order), [1])).toEqual(answerKey(nested(["region", "service", "supplier"]), [1]));
      }),
    );
  });

  it("differs for another organisation, answer, parameter or data version, and keeps each organisation's keys apart", () => {
    const base = answerKey(question, [10, 4]);
    const others = [
      answerKey(question, [11, 4]),
      answerKey({ ...question, orgId: "org_b" }, [10, 4]),
      answerKey({ ...question, name: "payments" }, [10, 4]),
      answerKey({ ...question, params: { ...question.params, interval: "week" } }, [10, 4]),
    ];
    for (const other of others) {
      expect(other.digest).not.toBe(base.digest);
      expect(other.key).not.toBe(base.key);
    }
    expect(base.key.startsWith("wedsync:answer:org_a:")).toBe(true);
    expect(answerKey({ ...question, orgId: "org_b" }, [10, 4]).key.startsWith("wedsync:answer:org_b:")).toBe(true);
  });
});
