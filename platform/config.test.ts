import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("gives every default when nothing is set, each server URL meaning its embedded engine", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      dataDir: path.resolve("./data"),
      port: 8080,
      host: "0.0.0.0",
      httpLimits: {
        requestTimeoutMs: 30_000,
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 5000,
        maxConnections: 1024,
      },
      kafkaBrokers: undefined,
      clickhouseUrl: undefined,
      databaseUrl: undefined,
      redisUrl: undefined,
      eventsTopic: "wedsync.events.v1",
      processorGroup: "wedsync-processors",
      logPartitions: 4,
      maxBodyBytes: 10 * 1024 * 1024,
      dedupWindowMs: 720 * 3_600_000,
      rateLimits: {
        free: { requests: 10, windowSeconds: 1 },
        professional: { requests: 100, windowSeconds: 1 },
        enterprise: { requests: 1000, windowSeconds: 1 },
      },
      testCrashPoints: {},
    });
  });

  it("reads servers and numbers, treating empty values as unset", () => {
    const config = loadConfig({
      KAFKA_BROKERS: "k1:9092,k2:9092",
      DATABASE_URL: "postgres://db/x",
      PORT: "9000",
      REDIS_URL: "",
      EVENTS_TOPIC: "staging.wedsync.events.v1",
      PROCESSOR_GROUP: "staging-processors",
    });
    expect(config.eventsTopic).toBe("staging.wedsync.events.v1");
    expect(config.processorGroup).toBe("staging-processors");
    expect(config.kafkaBrokers).toEqual(["k1:9092", "k2:9092"]);
    expect(config.databaseUrl).toBe("postgres://db/x");
    expect(config.port).toBe(9000);
    expect(config.redisUrl).toBeUndefined();
  });

  it("names every bad variable in one error", () => {
    const attempt = () =>
      loadConfig({ CLICKHOUSE_URL: "not a url", PORT: "http", LOG_PARTITIONS: "0", EVENTS_TOPIC: "events/v1" });
    expect(attempt).toThrow(ConfigError);
    for (const problem of [
      '"CLICKHOUSE_URL" is not a URL',
      '"PORT" is not a number',
      '"LOG_PARTITIONS" must be at least 1',
      '"EVENTS_TOPIC" must be 1 to 249 of the characters A-Z a-z 0-9 . _ -',
    ]) {
      expect(attempt).toThrow(problem);
    }
    expect(() => loadConfig({ WEDSYNC_TEST_CRASH_POINTS: "process.nowhere=0.5" })).toThrow(
      /unknown crash point "process.nowhere"/,
    );
  });

  it("reads the HTTP server's timeouts and connection cap, and refuses a headers timeout longer than the request timeout", () => {
    const config = loadConfig({
      HTTP_REQUEST_TIMEOUT_MS: "60000",
      HTTP_HEADERS_TIMEOUT_MS: "5000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "65000",
      HTTP_MAX_CONNECTIONS: "200",
    });
    expect(config.httpLimits).toEqual({
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 5000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 200,
    });
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: "5000" })).toThrow(
      '"HTTP_HEADERS_TIMEOUT_MS" (10000) must not exceed "HTTP_REQUEST_TIMEOUT_MS" (5000)',
    );
    expect(() => loadConfig({ HTTP_MAX_CONNECTIONS: "0" })).toThrow('"HTTP_MAX_CONNECTIONS" must be at least 1');
  });

  it("reads RATE_LIMITS over the defaults and names a bad entry beside the other problems", () => {
    expect(loadConfig({ RATE_LIMITS: "free=3/min" }).rateLimits.free).toEqual({ requests: 3, windowSeconds: 60 });
    const attempt = () => loadConfig({ RATE_LIMITS: "gold=5/s", PORT: "http" });
    expect(attempt).toThrow('"RATE_LIMITS": unknown tier "gold" (tiers: free, professional, enterprise)');
    expect(attempt).toThrow('"PORT" is not a number');
  });
});
