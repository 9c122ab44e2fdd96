import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { SingleBar, Presets } from "cli-progress";
import { loadConfig, type Config } from "../platform/config.ts";
import { createLogger, type Logger } from "../platform/logger.ts";
import { countOrganisations, createOrganisation } from "../platform/tenants/organisations.ts";
import { createApp, ROLES, type App, type Role } from "./create-app.ts";
import { loadDemoData } from "./load-demo-data.ts";

const USAGE = `usage: wedsync <command>
  start [--role ingest,process,api,scheduler]   run the pipeline (every role by default)
  demo                                          start, and load a generated demo data set once
  org:create "<name>"                           create an organisation; prints {"orgId","apiKey"}
  rebuild                                       rebuild ClickHouse and Postgres projections from the log (server stopped)`;

/** Starts the HTTP server and the background roles; stops cleanly on SIGINT/SIGTERM. */
async function serveApp(app: App, logger: Logger): Promise<void> {
  await app.start();
  const server = serve({ fetch: app.http.fetch, port: app.config.port, hostname: app.config.host }, (info) => {
    logger.info({ event: "http.listening", port: info.port }, `listening on http://${app.config.host}:${info.port}`);
    console.log(`WedSync Analytics listening on http://localhost:${info.port} (data in ${app.config.dataDir})`);
  });
  const shutdown = async (signal: string) => {
    logger.info({ event: "process.stopping", signal }, "stopping");
    server.close();
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

/** On the very first start of an embedded installation, creates a demo organisation and prints its key. */
async function ensureFirstOrganisation(app: App, config: Config): Promise<void> {
  if (config.databaseUrl || (await countOrganisations(app.sql)) > 0) return;
  const org = await createOrganisation(app.sql, "Demo Weddings");
  console.log(`First start: created organisation "${org.name}". Its API key (shown once):`);
  console.log(JSON.stringify({ orgId: org.orgId, apiKey: org.apiKey }));
}

function parseRoles(value: string | undefined): Role[] {
  if (value === undefined || value === "all") return [...ROLES];
  const roles = value.split(",").map((r) => r.trim());
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`unknown role(s) ${unknown.join(", ")}; use ${ROLES.join(", ")} or all`);
  return roles as Role[];
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { role: { type: "string" } } });
  const [command, ...rest] = positionals;
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel, { toStderr: command !== "start" && command !== "demo" });
  switch (command) {
    case "start": {
      const app = await createApp(config, logger, parseRoles(values.role));
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
      const name = rest.join(" ");
      if (!name.trim()) throw new Error('usage: org:create "<name>"');
      const app = await createApp(config, logger, []);
      try {
        const org = await createOrganisation(app.sql, name);
        console.log(JSON.stringify({ orgId: org.orgId, apiKey: org.apiKey }));
      } finally {
        await app.close();
      }
      return;
    }
    case "rebuild": {
      const app = await createApp(config, logger, []);
      const bar = new SingleBar({ format: "rebuild [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left", stream: process.stderr }, Presets.shades_classic);
      try {
        let started = false;
        const { events, ms } = await app.rebuild((done, total) => {
          if (!started) bar.start(total, done);
          started = true;
          bar.update(done);
        });
        bar.stop();
        console.log(JSON.stringify({ rebuilt: events, seconds: Math.round(ms / 100) / 10 }));
      } finally {
        await app.close();
      }
      return;
    }
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
