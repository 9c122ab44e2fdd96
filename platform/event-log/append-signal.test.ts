import { describe, expect, it } from "vitest";
import { createAppendSignal } from "./append-signal.ts";

const HOUR_MS = 3_600_000;

describe("append signal", () => {
  it("wakes a waiter when its topic is notified, not when another topic is", async () => {
    const signal = createAppendSignal();
    const abort = new AbortController();
    let woken = false;
    const waiting = signal.wait("events", signal.version("events"), HOUR_MS, abort.signal).then(() => (woken = true));
    signal.notify("other");
    await new Promise((resolve) => setImmediate(resolve));
    expect(woken).toBe(false);
    signal.notify("events");
    await waiting;
    expect(woken).toBe(true);
    abort.abort();
  });

  it("returns at once when the topic grew after the version was taken", async () => {
    const signal = createAppendSignal();
    const since = signal.version("events");
    signal.notify("events");
    expect(signal.version("events")).not.toBe(since);
    await signal.wait("events", since, HOUR_MS, new AbortController().signal);
  });

  it("gives up after the timeout, and at once when aborted", async () => {
    const signal = createAppendSignal();
    await signal.wait("events", signal.version("events"), 1, new AbortController().signal);
    const abort = new AbortController();
    const waiting = signal.wait("events", signal.version("events"), HOUR_MS, abort.signal);
    abort.abort();
    await waiting;
  });
});
