import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../../test/support/wait-for.ts";
import type { DedupStore } from "./dedup-store.ts";

/** One empty window for one test: open it (again) with a window length, and remove it at the end. */
export interface DedupStoreFixture {
  /** Opens a store on this test's window; opening again sees what earlier stores confirmed. */
  open(options: { windowMs: number }): Promise<DedupStore>;
  /** Removes the window's data; stores opened by the test are closed by then. */
  dispose(): Promise<void>;
}

/** The promises every DedupStore keeps, run against a fresh window per test made by make. */
export function describeDedupStoreContract(name: string, make: () => Promise<DedupStoreFixture>): void {
  describe(`DedupStore contract: ${name}`, () => {
    let fixture: DedupStoreFixture;
    const opened: DedupStore[] = [];
    const open = async (windowMs = 60_000) => {
      const store = await fixture.open({ windowMs });
      opened.push(store);
      return store;
    };
    const closeAll = () => Promise.all(opened.splice(0).map((store) => store.close()));

    beforeEach(async () => {
      fixture = await make();
    });

    afterEach(async () => {
      try {
        await closeAll();
      } finally {
        await fixture.dispose();
      }
    });

    it("grants new keys and finds confirmed ones duplicates", async () => {
      const store = await open();
      expect(await store.claim(["a", "b"])).toEqual(["granted", "granted"]);
      await store.confirm(["a", "b"]);
      expect(await store.claim(["a", "c", "b"])).toEqual(["duplicate", "granted", "duplicate"]);
    });

    it("grants only the first occurrence of a key within one claim", async () => {
      const store = await open();
      expect(await store.claim(["x", "x", "y", "x", "y"])).toEqual([
        "granted",
        "duplicate",
        "granted",
        "duplicate",
        "duplicate",
      ]);
    });

    it("finds a key claimed by a request still in flight in flight, not a duplicate, until it is confirmed", async () => {
      const store = await open();
      expect(await store.claim(["k"])).toEqual(["granted"]);
      expect(await store.claim(["k", "k"])).toEqual(["in_flight", "duplicate"]);
      // The second request appended its copy and confirms it, though another request holds the claim.
      await store.confirm(["k"]);
      expect(await store.claim(["k"])).toEqual(["duplicate"]);
      // The first request's append then fails: its release leaves the confirmed key remembered.
      await store.release(["k"]);
      expect(await store.claim(["k"])).toEqual(["duplicate"]);
    });

    it("grants exactly one of many concurrent claims of one key", async () => {
      const store = await open();
      const results = await Promise.all(Array.from({ length: 25 }, () => store.claim(["contested", "other-side"])));
      expect(results.filter(([contested]) => contested === "granted")).toHaveLength(1);
      expect(results.filter(([contested]) => contested === "in_flight")).toHaveLength(24);
      expect(results.filter(([, other]) => other === "granted")).toHaveLength(1);
    });

    it("lets a released key be claimed again, but never forgets a confirmed one on release", async () => {
      const store = await open();
      expect(await store.claim(["failed", "kept"])).toEqual(["granted", "granted"]);
      await store.release(["failed"]);
      await store.confirm(["kept"]);
      await store.release(["kept"]);
      expect(await store.claim(["failed", "kept"])).toEqual(["granted", "duplicate"]);
    });

    it("remembers confirmed keys across close and reopen", async () => {
      const first = await open();
      expect(await first.claim(["durable"])).toEqual(["granted"]);
      await first.confirm(["durable"]);
      await closeAll();
      const second = await open();
      expect(await second.claim(["durable", "fresh"])).toEqual(["duplicate", "granted"]);
    });

    it("forgets a confirmed key once the window has passed", async () => {
      const store = await open(150);
      expect(await store.claim(["brief"])).toEqual(["granted"]);
      await store.confirm(["brief"]);
      expect(await store.claim(["brief"])).toEqual(["duplicate"]);
      await waitFor(async () => (await store.claim(["brief"]))[0] === "granted", {
        timeoutMs: 5_000,
        message: "key never expired",
      });
    });
  });
}
