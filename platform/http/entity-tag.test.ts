import { describe, expect, it } from "vitest";
import { ifNoneMatchHolds } from "./entity-tag.ts";

describe("ifNoneMatchHolds", () => {
  const tag = 'W/"abc"';

  it("matches the tag weakly, alone or in a list, and *", () => {
    expect(ifNoneMatchHolds('W/"abc"', tag)).toBe(true);
    expect(ifNoneMatchHolds('"abc"', tag)).toBe(true);
    expect(ifNoneMatchHolds('"x", W/"abc" , "y"', tag)).toBe(true);
    expect(ifNoneMatchHolds(" * ", tag)).toBe(true);
  });

  it("holds for nothing else", () => {
    expect(ifNoneMatchHolds(undefined, tag)).toBe(false);
    expect(ifNoneMatchHolds("", tag)).toBe(false);
    expect(ifNoneMatchHolds('"abcd"', tag)).toBe(false);
    expect(ifNoneMatchHolds('W/"ab", "c"', tag)).toBe(false);
    expect(ifNoneMatchHolds("abc", tag)).toBe(false);
  });
});
