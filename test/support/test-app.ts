import { createApp, ROLES, type App, type AppOptions, type Role } from "../../bin/create-app.ts";
import { loadConfig } from "../../platform/config.ts";
import { createLogger } from "../../platform/logger.ts";
import { expect } from "vitest";
import { waitFor } from "./wait-for.ts";

const UNREACHABLE_LIMITS = "free=1000000/s,professional=1000000/s,enterprise=1000000/s";

/**
 * Builds and starts the app (every role by default) in this process on embedded engines in `dataDir`. Its quotas are
 * ones a test's bursts of requests cannot reach, unless the test sets RATE_LIMITS itself (as the rate-limit tests do).
 */
export async function startTestApp(
  dataDir: string,
  env: Record<string, string> = {},
  roles: readonly Role[] = ROLES,
  options: AppOptions = {},
): Promise<App> {
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    LOG_PARTITIONS: "4",
    RATE_LIMITS: UNREACHABLE_LIMITS,
    ...env,
  });
  const app = await createApp(config, createLogger(config.logLevel), roles, options);
  await app.start();
  return app;
}

/** Waits until every event appended so far is processed. */
export async function waitUntilProcessed(app: App, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => (await app.watermark()).lag === 0, {
    timeoutMs,
    intervalMs: 50,
    message: "events not processed in time",
  });
}

/** Posts events as the key's organisation through the app's ingest route, `batch` a request; each must be accepted. */
export async function postEvents(app: App, apiKey: string, events: unknown[], batch = 250): Promise<void> {
  for (let start = 0; start < events.length; start += batch) {
    const res = await app.http.request("/v1/events", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(events.slice(start, start + batch)),
    });
    expect(res.status, await res.clone().text()).toBe(202);
  }
}
