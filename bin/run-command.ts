import { loadConfig, type Config } from "../platform/config.ts";
import { startHttpServer } from "../platform/http/start-http-server.ts";
import { createLogger, type Logger } from "../platform/logger.ts";
import type { KeyAccess } from "../platform/tenants/api-keys.ts";
import { SCOPES } from "../platform/tenants/key-access.ts";
import { countOrganisations, createOrganisation } from "../platform/tenants/organisations.ts";
import { redriveDeadLetters, type RedriveSelection } from "../processors/redrive-dead-letters.ts";
import { createApp, type App } from "./create-app.ts";
import { loadDemoData } from "./load-demo-data.ts";
import { createProgressBar } from "./progress-bar.ts";
import type { Role } from "./roles.ts";

/** A command of the CLI with its arguments checked (see bin/wedsync.ts, which reads and explains them). */
export type CheckedCommand =
  | { name: "start"; roles: Role[] }
  | { name: "demo" }
  | { name: "org:create"; orgName: string; access: KeyAccess }
  | { name: "rebuild" }
  | { name: "redrive"; selection: RedriveSelection };

/** Starts the HTTP server and the background roles; stops cleanly on SIGINT/SIGTERM. */
async function serveApp(app: App, logger: Logger): Promise<void> {
  await app.start();
  const { config } = app;
  const server = await startHttpServer({
    fetch: app.http.fetch,
    port: config.port,
    host: config.host,
    limits: config.httpLimits,
    logger,
  });
  logger.info(
    { event: "http.listening", port: server.port, ...config.httpLimits },
    `listening on http://${config.host}:${server.port}`,
  );
  console.log(`WedSync Analytics listening on http://localhost:${server.port} (data in ${config.dataDir})`);
  const shutdown = async (signal: string) => {
    logger.info({ event: "process.stopping", signal }, "stopping");
    // New connections are refused from here on; open ones end with the process, once the stores are closed.
    void server.close();
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

/**
 * On the very first start of an embedded installation, creates a demo organisation and prints its key. The key holds
 * every scope, admin included: whoever starts the process is its operator, and can reach the admin routes with it.
 */
async function ensureFirstOrganisation(app: App, config: Config): Promise<void> {
  if (config.databaseUrl || (await countOrganisations(app.sql)) > 0) return;
  const org = await createOrganisation(app.sql, "Demo Weddings", { scopes: SCOPES });
  console.log(
    `First start: created organisation "${org.name}". Its API key (shown once; scopes ${SCOPES.join(", ")}):`,
  );
  console.log(JSON.stringify({ orgId: org.orgId, apiKey: org.apiKey }));
}

/**
 * Runs a checked command with the configuration of the environment. Results go to stdout; servers (`start`, `demo`)
 * log to stdout too, one-shot commands log to stderr so that their stdout is only their result.
 */
export async function runCommand(command: CheckedCommand): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel, { toStderr: command.name !== "start" && command.name !== "demo" });
  switch (command.name) {
    case "start": {
      const app = await createApp(config, logger, command.roles);
      await ensureFirstOrganisation(app, config);
      await serveApp(app, logger);
      return;
    }
    case "demo": {
      const app = await createApp(config, logger);
      await serveApp(app, logger);
      await loadDemoData(app, logger);
      return;
    }
    case "org:create": {
      const app = await createApp(config, logger, []);
      try {
        const org = await createOrganisation(app.sql, command.orgName, command.access);
        console.log(
          JSON.stringify({ orgId: org.orgId, apiKey: org.apiKey, scopes: org.key.scopes, tier: org.key.tier }),
        );
      } finally {
        await app.close();
      }
      return;
    }
    case "rebuild": {
      const app = await createApp(config, logger, []);
      const bar = createProgressBar("rebuild");
      try {
        const { events, ms } = await app.rebuild((done, total) => bar.update(done, total));
        bar.stop();
        console.log(JSON.stringify({ rebuilt: events, seconds: Math.round(ms / 100) / 10 }));
      } finally {
        await app.close();
      }
      return;
    }
    case "redrive": {
      // The same function as POST /v1/rejected-events/redrive, on the configured stores, without an HTTP server.
      const app = await createApp(config, logger, []);
      try {
        console.log(
          JSON.stringify(await redriveDeadLetters({ sql: app.sql, log: app.log, logger }, command.selection)),
        );
      } finally {
        await app.close();
      }
      return;
    }
  }
}
